using System.Net;
using Flow.Execution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Flow.Worker.Status;

/// <summary>
/// <c>Flow:Http:Urls</c>: a small Kestrel server of its own beside the worker, serving
/// <c>/healthz</c> (the process is alive), <c>/readyz</c> (pipelines planned and running),
/// <c>/metrics</c> (the <c>Flow</c> meter as Prometheus text, through OpenTelemetry's exporter
/// middleware, so metrics share the one port), <c>/api/status</c> (the live counts as JSON) and
/// <c>/</c> (the status page drawing the DAG from that JSON). It is a hosted service registered
/// before the worker: a port it cannot bind stops the process before any pipeline runs.
/// </summary>
/// <remarks>
/// The server is its own minimal web application (no configuration sources, no console lifetime,
/// only Warning and above of ASP.NET Core's logging, into the worker's loggers): the worker's host
/// stays the one that owns the process, its signals and its exit code.
/// </remarks>
internal sealed partial class StatusServer : IHostedService, IAsyncDisposable
{
    private readonly IOptions<FlowOptions> _options;
    private readonly LiveRuns _runs;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private WebApplication? _app;

    public StatusServer(IOptions<FlowOptions> options, LiveRuns runs, ILoggerFactory loggerFactory)
    {
        _options = options;
        _runs = runs;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Flow.Http");
    }

    // Without Flow:Http:Urls nothing of ASP.NET Core or OpenTelemetry is touched: the server's code
    // (and the assemblies its types live in) is only loaded when there is a server to start.
    public Task StartAsync(CancellationToken cancellationToken) =>
        _options.Value.Http.Urls is { } text ? StartServerAsync(text, cancellationToken) : Task.CompletedTask;

    private async Task StartServerAsync(string text, CancellationToken cancellationToken)
    {
        var urls = FlowHttpOptions.Parse(text).Urls;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "flow", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls([.. urls]);
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(_loggerFactory));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("flow")).WithMetrics(metrics => metrics.AddMeter(FlowMetrics.MeterName).AddPrometheusExporter());

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => StatusModel.Readiness(_runs) is { } notReady
            ? Results.Text(notReady + "\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready\n"));
        app.MapGet("/api/status", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return Results.Bytes(StatusModel.Json(_runs), "application/json");
        });
        app.MapGet("/", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return Results.Text(StatusPage.Html, "text/html; charset=utf-8");
        });
        app.MapPrometheusScrapingEndpoint("/metrics");

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new StatusServerException($"Flow:Http:Urls: cannot listen on {string.Join(", ", urls)}: {Reason(ex)}", ex);
        }

        _app = app;
        LogListening(string.Join(", ", urls));
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        _app is null ? Task.CompletedTask : StopServerAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app is null ? ValueTask.CompletedTask : DisposeServerAsync();

    private async Task StopServerAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask DisposeServerAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Kestrel says "Failed to bind to address http://127.0.0.1:9090: address already in use." around the socket's own words.
    private static string Reason(Exception exception)
    {
        var message = exception.Message.TrimEnd('.');
        return exception.InnerException is { } inner && !message.Contains(inner.Message.TrimEnd('.'), StringComparison.Ordinal)
            ? $"{message} ({inner.Message.TrimEnd('.')})"
            : message;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Status page and /healthz, /readyz, /metrics on {Urls}")]
    private partial void LogListening(string urls);

    /// <summary>The web application does not own the process: it neither waits for signals nor stops on them.</summary>
    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>ASP.NET Core's log lines, into the worker's loggers (Serilog), which the worker disposes.</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}

/// <summary>The status endpoints could not start (their port is taken, say): a configuration error, exit 2.</summary>
internal sealed class StatusServerException(string message, Exception inner) : Exception(message, inner);
