using Flow.Settings;
using Flow.Hosting.Building;
using Flow.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Running;

/// <summary>
/// The pipelines of this host, from configuration and from C#: read once, planned on first use
/// (each pipeline once, its nodes built and checked), kept for every later run of that pipeline.
/// </summary>
internal sealed class FlowCatalog : IAsyncDisposable
{
    private readonly Lazy<(IReadOnlyList<PipelineDefinition> Definitions, IReadOnlyList<ConfigurationError> Errors, PipelinePlanner Planner)> _read;
    private readonly Dictionary<string, Lazy<Task<FlowPlanResult>>> _plans = new(StringComparer.OrdinalIgnoreCase);

    public FlowCatalog(
        IConfiguration configuration,
        IEnumerable<CodePipeline> codePipelines,
        IEnumerable<NodeTypeRegistration> registrations,
        IServiceProvider services,
        ILoggerFactory loggerFactory)
    {
        _read = new(() =>
        {
            var registry = BuiltInNodes.CreateRegistry();
            foreach (var registration in registrations)
            {
                registration.Apply(registry);
            }

            var definitions = PipelineConfigurationReader.Read(configuration, FlowOptions.SectionName).ToList();
            var errors = new List<ConfigurationError>();
            foreach (var code in codePipelines.Select(c => c.Definition))
            {
                if (definitions.Any(d => string.Equals(d.Name, code.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    errors.Add(new ConfigurationError(code.ConfigPath, $"pipeline '{code.Name}' is also defined in configuration"));
                }
                else
                {
                    definitions.Add(code);
                }
            }

            if (definitions.Count == 0)
            {
                errors.Add(new ConfigurationError("Flow:Pipelines", "no pipeline is configured (add one under Flow:Pipelines, or pass --config FILE)"));
            }

            return (definitions, errors, new PipelinePlanner(registry, services, loggerFactory));
        });
    }

    /// <summary>The names of every pipeline, as configured.</summary>
    public IReadOnlyList<string> Names => _read.Value.Definitions.Select(d => d.Name).ToList();

    /// <summary>
    /// Plans <paramref name="selected"/> (or every pipeline, when null). Each pipeline is planned once;
    /// the result holds every configuration error found.
    /// </summary>
    public async Task<FlowPlanResult> PlanAsync(string? selected, CancellationToken cancellationToken)
    {
        var (definitions, readErrors, planner) = _read.Value;
        var errors = new List<ConfigurationError>(readErrors);
        var chosen = definitions;
        if (!string.IsNullOrEmpty(selected))
        {
            chosen = definitions.Where(d => string.Equals(d.Name, selected, StringComparison.OrdinalIgnoreCase)).ToList();
            if (chosen.Count == 0 && definitions.Count > 0)
            {
                errors.Add(new ConfigurationError("Flow:Run:Pipeline",
                    $"no pipeline named '{selected}'{Parameters.Suggestions.DidYouMean(selected, definitions.Select(d => d.Name))} (configured: {string.Join(", ", definitions.Select(d => d.Name))})"));
            }
        }

        var plans = new List<PipelinePlan>();
        foreach (var definition in chosen)
        {
            Lazy<Task<FlowPlanResult>> plan;
            lock (_plans)
            {
                if (!_plans.TryGetValue(definition.Name, out plan!))
                {
                    plan = new(() => PlanOneAsync(planner, definition, CancellationToken.None)); // shared by every caller: not one caller's token
                    _plans[definition.Name] = plan;
                }
            }

            var result = await plan.Value.ConfigureAwait(false);
            plans.AddRange(result.Plans);
            errors.AddRange(result.Errors);
        }

        return new FlowPlanResult(plans, errors);
    }

    public async ValueTask DisposeAsync()
    {
        List<Lazy<Task<FlowPlanResult>>> plans;
        lock (_plans)
        {
            plans = [.. _plans.Values];
        }

        foreach (var plan in plans.Where(p => p.IsValueCreated))
        {
            var result = await plan.Value.ConfigureAwait(false);
            foreach (var planned in result.Plans)
            {
                await planned.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<FlowPlanResult> PlanOneAsync(PipelinePlanner planner, PipelineDefinition definition, CancellationToken cancellationToken)
    {
        try
        {
            return new FlowPlanResult([await planner.PlanAsync(definition, cancellationToken).ConfigureAwait(false)], []);
        }
        catch (FlowConfigurationException ex)
        {
            return new FlowPlanResult([], ex.Errors);
        }
    }
}
