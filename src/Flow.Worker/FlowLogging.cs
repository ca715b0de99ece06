using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;

namespace Flow.Worker;

/// <summary>
/// Serilog from the <c>Serilog</c> section, on top of Flow's defaults: a section that names no sink
/// (only a level, say, from <c>--Serilog:MinimumLevel:Default=Debug</c>) still logs to standard
/// error, and one that sets no level keeps Information with Microsoft at Warning.
/// </summary>
internal static class FlowLogging
{
    /// <summary>The line format of Flow's default sink (the one appsettings.json names too).</summary>
    public const string OutputTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    /// <summary>Applies Flow's defaults, then whatever the <c>Serilog</c> section says.</summary>
    public static LoggerConfiguration Configure(LoggerConfiguration logger, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("Serilog");
        if (!section.GetSection("MinimumLevel").Exists())
        {
            logger.MinimumLevel.Information().MinimumLevel.Override("Microsoft", LogEventLevel.Warning);
        }

        if (!section.GetSection("WriteTo").Exists())
        {
            logger.WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, outputTemplate: OutputTemplate);
        }

        // Only when there is a section: reading none would still scan the loaded assemblies for sinks.
        return section.Exists() ? logger.ReadFrom.Configuration(configuration) : logger;
    }
}
