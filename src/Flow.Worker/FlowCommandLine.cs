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
        }
        catch (Exception ex) when (ex is FileNotFoundException or NotSupportedException or FormatException or InvalidDataException or InvalidOperationException or InvalidCastException or OptionsValidationException)
        {
            var detail = ex.InnerException is { } inner && inner.Message != ex.Message ? $" ({inner.GetBaseException().Message})" : string.Empty;
            await Console.Error.WriteLineAsync($"flow: configuration error: {ex.Message}{detail}").ConfigureAwait(false);
            return FlowExitCode.ConfigurationError;
        }

        using (host)
        {
            if (!await CheckConfigurationAsync(host).ConfigureAwait(false))
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

        var logger = CreateLogger(builder.Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
        builder.Logging.AddSerilog(logger, dispose: true);

        // The drain of in-flight batches must finish inside the host's own shutdown window.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddFlow();
        return builder.Build();
    }

    private static Serilog.ILogger CreateLogger(IConfiguration configuration)
    {
        if (configuration.GetSection("Serilog").Exists())
        {
            return new LoggerConfiguration().ReadFrom.Configuration(configuration).CreateLogger();
        }

        return new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose, outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
    }

    /// <summary>Reports every configuration problem with its path, before anything runs.</summary>
    private static async Task<bool> CheckConfigurationAsync(IHost host)
    {
        var problems = new List<string>();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<FlowOptions>>().Value;
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or FormatException)
        {
            problems.Add(ex.GetBaseException().Message);
        }

        if (problems.Count == 0)
        {
            var result = host.Services.GetRequiredService<FlowPlans>().Get();
            problems.AddRange(result.Errors.Select(e => e.ToString()));
        }

        if (problems.Count == 0)
        {
            return true;
        }

        var text = $"flow: configuration error{(problems.Count > 1 ? "s" : string.Empty)}:{Environment.NewLine}"
                   + string.Join(Environment.NewLine, problems.Select(p => "  " + p));
        await Console.Error.WriteLineAsync(text).ConfigureAwait(false);
        return false;
    }
}
