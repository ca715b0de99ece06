using Flow.Hosting;
using Flow.Hosting.Options;
using Flow.Hosting.Running;
using Flow.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;

namespace Flow.Worker;

/// <summary>The <c>flow</c> executable: parses the command, builds the host, checks configuration, runs.</summary>
internal static class FlowCommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var command = CommandLine.Parse(args, out var parseError);
        if (command is null)
        {
            await Console.Error.WriteLineAsync($"flow: {parseError}{Environment.NewLine}{Environment.NewLine}{CommandLine.Usage}").ConfigureAwait(false);
            return FlowExitCode.ConfigurationError;
        }

        if (command.Help)
        {
            await Console.Out.WriteLineAsync(CommandLine.Usage).ConfigureAwait(false);
            return FlowExitCode.Success;
        }

        IHost host;
        try
        {
            host = BuildHost(command);
            // The Serilog section is read when the logger factory is first resolved: here, so that a
            // bad one is a configuration error like any other, not a crash in the middle of the check.
            _ = host.Services.GetRequiredService<ILoggerFactory>();
        }
        catch (Exception ex) when (ex is FileNotFoundException or NotSupportedException or FormatException or InvalidDataException or InvalidOperationException or InvalidCastException or OptionsValidationException)
        {
            var detail = ex.InnerException is { } inner && inner.Message != ex.Message ? $" ({inner.GetBaseException().Message})" : string.Empty;
            await Console.Error.WriteLineAsync($"flow: configuration error: {ex.Message}{detail}").ConfigureAwait(false);
            return FlowExitCode.ConfigurationError;
        }

        using (host)
        {
            if (!await CheckConfigurationAsync(host, command).ConfigureAwait(false))
            {
                return FlowExitCode.ConfigurationError;
            }

            switch (command.Verb)
            {
                case "validate":
                    var plans = host.Services.GetRequiredService<FlowPlans>().Get().Plans;
                    await Console.Out.WriteLineAsync($"flow: configuration is valid ({string.Join(", ", plans.Select(p => $"{p.Name}: {p.Nodes.Count} nodes"))})").ConfigureAwait(false);
                    return FlowExitCode.Success;
                case "cache":
                    return await CacheCommands.RunAsync(host.Services, command.SubCommand!, Console.Out, CancellationToken.None).ConfigureAwait(false);
                default:
                    // RunAsync disposes the services: take the exit code holder first.
                    var exitCode = host.Services.GetRequiredService<FlowExitCode>();
                    await host.RunAsync().ConfigureAwait(false);
                    return exitCode.Value;
            }
        }
    }

    private static IHost BuildHost(CommandLine command)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
            Args = Array.Empty<string>(),
        });
        FlowConfiguration.Apply(builder.Configuration, Directory.GetCurrentDirectory(), command.ConfigFile, command.Overrides);

        // Serilog.Extensions.Hosting: the logger is built from the host's configuration when the
        // container first needs it, gets DI-registered sinks and enrichers (ReadFrom.Services), and
        // is flushed and disposed with the container. The static Log.Logger is left alone.
        builder.Services.AddSerilog((services, logger) => FlowLogging.Configure(logger, builder.Configuration).ReadFrom.Services(services), preserveStaticLogger: true);
        // The drain of in-flight batches must finish inside the host's own shutdown window.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddFlow();
        return builder.Build();
    }

    /// <summary>Reports every configuration problem with its path (and where it was set), before anything runs.</summary>
    private static async Task<bool> CheckConfigurationAsync(IHost host, CommandLine command)
    {
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        var options = new FlowOptions();
        var problems = new List<ConfigurationError>(FlowOptionsReader.Read(configuration, options));
        problems.AddRange(host.Services.GetRequiredService<FlowPlans>().Get().Errors);
        if (command.Verb == "run" && !string.IsNullOrEmpty(options.Run.Report) && RunSummary.ReportPathProblem(options.Run.Report) is { } reportProblem)
        {
            problems.Add(new ConfigurationError("Flow:Run:Report", reportProblem));
        }

        if (problems.Count == 0)
        {
            return true;
        }

        var lines = problems.Distinct().Select(p => "  " + p + ConfigurationOrigin.Describe(configuration, p.Path));
        var text = $"flow: configuration error{(problems.Count > 1 ? "s" : string.Empty)}:{Environment.NewLine}" + string.Join(Environment.NewLine, lines);
        await Console.Error.WriteLineAsync(text).ConfigureAwait(false);
        return false;
    }
}
