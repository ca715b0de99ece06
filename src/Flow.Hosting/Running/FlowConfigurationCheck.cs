using Flow.Caching;
using Flow.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Hosting.Running;

/// <summary>
/// Every problem of a host's Flow configuration at once, before anything runs: the <c>Flow</c>
/// settings, the chosen cache store's settings, the selected pipelines, and (for a run) whether
/// the report can be written.
/// </summary>
internal static class FlowConfigurationCheck
{
    /// <param name="services">The built host's services (AddFlow called).</param>
    /// <param name="forRun">True when the pipelines are about to run: then the report path is checked too.</param>
    /// <param name="cancellationToken">Abandons planning.</param>
    public static async Task<IReadOnlyList<ConfigurationError>> CollectAsync(IServiceProvider services, bool forRun, CancellationToken cancellationToken)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var options = new FlowOptions();
        var problems = new List<ConfigurationError>(FlowOptionsReader.Read(configuration, options));
        problems.AddRange(CacheStoreProvider.Validate(options.Cache, services.GetServices<CacheStoreRegistration>()));
        problems.AddRange((await services.GetRequiredService<FlowCatalog>().PlanAsync(options.Run.Pipeline, cancellationToken).ConfigureAwait(false)).Errors);
        if (forRun && !string.IsNullOrEmpty(options.Run.Report) && RunSummary.ReportPathProblem(options.Run.Report) is { } reportProblem)
        {
            problems.Add(new ConfigurationError("Flow:Run:Report", reportProblem));
        }

        return problems.Distinct().ToList();
    }
}
