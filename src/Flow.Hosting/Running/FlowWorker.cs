using System.Runtime.InteropServices;
using Flow.Caching;
using Flow.Execution;
using Flow.Hosting.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flow.Hosting.Running;

/// <summary>
/// Runs every selected pipeline once, side by side, then stops the host (what <c>AddFlowWorker()</c>
/// adds; <c>AddFlow()</c> alone never stops a host). A failure is caught here and turned into an
/// exit code: a BackgroundService that throws would stop the host with exit 0.
/// </summary>
internal sealed partial class FlowWorker : BackgroundService
{
    private readonly FlowCatalog _catalog;
    private readonly FlowPipelineRunner _runner;
    private readonly FlowExitCode _exitCode;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IOptions<FlowOptions> _options;
    private readonly ILogger<FlowWorker> _logger;
    private readonly LiveRuns _live;
    private readonly List<PosixSignalRegistration> _signals = new();

    public FlowWorker(
        FlowCatalog catalog,
        FlowPipelineRunner runner,
        FlowExitCode exitCode,
        IHostApplicationLifetime lifetime,
        IOptions<FlowOptions> options,
        ILogger<FlowWorker> logger,
        LiveRuns live)
    {
        _live = live;
        _catalog = catalog;
        _runner = runner;
        _exitCode = exitCode;
        _lifetime = lifetime;
        _options = options;
        _logger = logger;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The host's console lifetime turns the first signal into a graceful stop; these remember
        // which one it was, and make a second one end the process at once.
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => OnSignal(FlowExitCode.Terminated)));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => OnSignal(FlowExitCode.Interrupted)));
        return base.StartAsync(cancellationToken);
    }

    private void OnSignal(int code)
    {
        if (_exitCode.RecordSignal(code) > 1)
        {
            // A second Ctrl-C or SIGTERM: the user does not want to wait for the drain. Nothing is
            // published (outputs stay in PATH.partial); what was cached so far stays cached.
            LogForcedExit(code);
            ImmediateExit.Now(code);
        }
    }

    public override void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            _exitCode.Set(await RunAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped while connecting to the cache store, before any batch ran.
            _exitCode.Set(_exitCode.InterruptedCode);
        }
        catch (Exception ex)
        {
            LogUnexpected(ex, ex.Message);
            _exitCode.Set(FlowExitCode.Failed);
        }
        finally
        {
            _lifetime.StopApplication();
        }
    }

    private async Task<int> RunAsync(CancellationToken stoppingToken)
    {
        var options = _options.Value;
        var planned = await _catalog.PlanAsync(options.Run.Pipeline, stoppingToken).ConfigureAwait(false);
        if (!planned.IsValid)
        {
            foreach (var error in planned.Errors)
            {
                LogConfigurationError(error.Path, error.Message);
            }

            return FlowExitCode.ConfigurationError;
        }

        _live.Expect(planned.Plans.Count); // /readyz: ready once every one of them runs
        var results = await Task.WhenAll(planned.Plans.Select(plan => _runner.RunPlanAsync(plan, stoppingToken))).ConfigureAwait(false);
        foreach (var result in results)
        {
            LogSummary(RunSummary.FormatTable(result));
        }

        if (options.Run.Report is { Length: > 0 } report)
        {
            await RunSummary.WriteReportAsync(report, results, CancellationToken.None).ConfigureAwait(false);
        }

        return results.Any(r => r.Status == RunStatus.Failed) ? FlowExitCode.Failed
            : results.Any(r => r.Status == RunStatus.Interrupted) ? _exitCode.InterruptedCode
            : FlowExitCode.Success;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "{Path}: {Problem}")]
    private partial void LogConfigurationError(string path, string problem);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Summary}")]
    private partial void LogSummary(string summary);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Second stop signal: exiting at once with {ExitCode}; in-flight batches are abandoned and no output of this run is published")]
    private partial void LogForcedExit(int exitCode);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "Flow stopped unexpectedly: {Reason}")]
    private partial void LogUnexpected(Exception exception, string reason);
}
