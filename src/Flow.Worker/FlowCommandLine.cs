using Flow.Hosting;
using Flow.Hosting.Options;
using Flow.Hosting.Running;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;

namespace Flow.Worker;

/// <summary>
/// The <c>flow</c> executable: the command line (<see cref="FlowCommands"/>) says what to do; a
/// configured command builds the host, checks configuration and runs.
/// </summary>
internal static class FlowCommandLine
{
    /// <summary>Runs <c>flow ARGS</c> and returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args) =>
        new FlowCommands(ExecuteAsync).InvokeAsync(args, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>Runs one configured command: builds the host, checks configuration, then runs, validates or looks after the cache.</summary>
    public static async Task<int> ExecuteAsync(FlowRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        IHost host;
        try
        {
            host = BuildHost(request);
            // The Serilog section is read when the logger factory is first resolved: here, so that a
            // bad one is a configuration error like any other, not a crash in the middle of the check.
            _ = host.Services.GetRequiredService<ILoggerFactory>();
        }
        catch (Exception ex) when (ex is FileNotFoundException or NotSupportedException or FormatException or InvalidDataException or InvalidOperationException or InvalidCastException or OptionsValidationException)
        {
            var detail = ex.InnerException is { } inner && inner.Message != ex.Message ? $" ({inner.GetBaseException().Message})" : string.Empty;
            await error.WriteLineAsync($"flow: configuration error: {ex.Message}{detail}").ConfigureAwait(false);
            return FlowExitCode.ConfigurationError;
        }

        using (host)
        {
            if (!await CheckConfigurationAsync(host, request, error).ConfigureAwait(false))
            {
                return FlowExitCode.ConfigurationError;
            }

            switch (request.Verb)
            {
                case "validate":
                    var plans = (await host.Services.GetRequiredService<FlowCatalog>().PlanAsync(host.Services.GetRequiredService<IOptions<FlowOptions>>().Value.Run.Pipeline, CancellationToken.None).ConfigureAwait(false)).Plans;
                    await output.WriteLineAsync($"flow: configuration is valid ({string.Join(", ", plans.Select(p => $"{p.Name}: {p.Nodes.Count} nodes"))})").ConfigureAwait(false);
                    return FlowExitCode.Success;
                case "cache":
                    return await CacheCommands.RunAsync(host.Services, request.CacheCommand!, output, cancellationToken).ConfigureAwait(false);
                case "graph":
                    return await GraphAsync(host.Services, request.GraphFormat, output, error).ConfigureAwait(false);
                default:
                    // RunAsync disposes the services: take the exit code holder first.
                    var exitCode = host.Services.GetRequiredService<FlowExitCode>();
                    try
                    {
                        await host.RunAsync().ConfigureAwait(false);
                    }
                    catch (Status.StatusServerException ex)
                    {
                        // Nothing ran: the status endpoints start before the worker.
                        await error.WriteLineAsync("flow: " + ex.Message).ConfigureAwait(false);
                        return FlowExitCode.ConfigurationError;
                    }

                    return exitCode.Value;
            }
        }
    }

    /// <summary><c>flow graph</c>: each selected pipeline as Mermaid or DOT, with a run's counts when <c>--report</c> names its report.</summary>
    private static async Task<int> GraphAsync(IServiceProvider services, string format, TextWriter output, TextWriter error)
    {
        var options = services.GetRequiredService<IOptions<FlowOptions>>().Value;
        var plans = (await services.GetRequiredService<FlowCatalog>().PlanAsync(options.Run.Pipeline, CancellationToken.None).ConfigureAwait(false)).Plans;
        foreach (var plan in plans)
        {
            IReadOnlyDictionary<string, PipelineGraph.NodeCounts>? counts = null;
            if (!string.IsNullOrEmpty(options.Run.Report))
            {
                try
                {
                    counts = PipelineGraph.ReadReport(options.Run.Report, plan.Name);
                }
                catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync("flow: " + ex.Message).ConfigureAwait(false);
                    return FlowExitCode.ConfigurationError;
                }
            }

            await output.WriteAsync(PipelineGraph.Render(plan, format, counts)).ConfigureAwait(false);
        }

        return FlowExitCode.Success;
    }

    private static IHost BuildHost(FlowRequest request)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
            Args = Array.Empty<string>(),
        });
        FlowConfiguration.Apply(builder.Configuration, Directory.GetCurrentDirectory(), request.ConfigFile, request.Overrides);

        // Serilog.Extensions.Hosting: the logger is built from the host's configuration when the
        // container first needs it, gets DI-registered sinks and enrichers (ReadFrom.Services), and
        // is flushed and disposed with the container. The static Log.Logger is left alone.
        builder.Services.AddSerilog((services, logger) => FlowLogging.Configure(logger, builder.Configuration).ReadFrom.Services(services), preserveStaticLogger: true);
        // The drain of in-flight batches must finish inside the host's own shutdown window.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddFlow();
        // Before the worker: hosted services start in order, so a port that cannot be bound stops
        // the process before any pipeline runs.
        builder.Services.AddHostedService<Status.StatusServer>();
        builder.Services.AddFlowWorker();
        builder.Services.AddRedisCacheStore();
        builder.Services.AddRedisStreams();
        return builder.Build();
    }

    /// <summary>Reports every configuration problem with its path (and where it was set), before anything runs.</summary>
    private static async Task<bool> CheckConfigurationAsync(IHost host, FlowRequest request, TextWriter error)
    {
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        var problems = await FlowConfigurationCheck.CollectAsync(host.Services, request.Verb == "run", CancellationToken.None).ConfigureAwait(false);
        if (problems.Count == 0)
        {
            return true;
        }

        var lines = problems.Select(p => "  " + p + ConfigurationOrigin.Describe(configuration, p.Path));
        var text = $"flow: configuration error{(problems.Count > 1 ? "s" : string.Empty)}:{Environment.NewLine}" + string.Join(Environment.NewLine, lines);
        await error.WriteLineAsync(text).ConfigureAwait(false);
        return false;
    }
}
