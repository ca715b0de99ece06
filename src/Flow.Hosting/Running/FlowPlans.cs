using Flow.Settings;
using Flow.Hosting.Building;
using Flow.Hosting.Options;
using Flow.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Running;

/// <summary>
/// The pipelines of this host, from configuration and from C#, validated and built once: the
/// worker runs these plans, and <c>flow validate</c> reports their errors.
/// </summary>
internal sealed class FlowPlans
{
    private readonly Lazy<FlowPlanResult> _result;

    public FlowPlans(
        IConfiguration configuration,
        IEnumerable<CodePipeline> codePipelines,
        IEnumerable<NodeTypeRegistration> registrations,
        IServiceProvider services,
        ILoggerFactory loggerFactory)
    {
        _result = new Lazy<FlowPlanResult>(() =>
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

            // Read here rather than through IOptions, which throws when other Flow settings are bad:
            // the pipelines' problems are reported together with those.
            var selected = new FlowOptions();
            FlowOptionsReader.Read(configuration, selected);
            return Plan(definitions, selected.Run.Pipeline, new PipelinePlanner(registry, services, loggerFactory), errors);
        });
    }

    /// <summary>Plans the selected pipelines (once); the result holds every configuration error found.</summary>
    public FlowPlanResult Get() => _result.Value;

    private static FlowPlanResult Plan(List<PipelineDefinition> definitions, string? selected, PipelinePlanner planner, List<ConfigurationError> errors)
    {
        if (definitions.Count == 0)
        {
            errors.Add(new ConfigurationError("Flow:Pipelines", "no pipeline is configured (add one under Flow:Pipelines, or pass --config FILE)"));
            return new FlowPlanResult(Array.Empty<PipelinePlan>(), errors);
        }

        var chosen = definitions;
        if (!string.IsNullOrEmpty(selected))
        {
            chosen = definitions.Where(d => string.Equals(d.Name, selected, StringComparison.OrdinalIgnoreCase)).ToList();
            if (chosen.Count == 0)
            {
                errors.Add(new ConfigurationError("Flow:Run:Pipeline",
                    $"no pipeline named '{selected}' (configured: {string.Join(", ", definitions.Select(d => d.Name))})"));
                return new FlowPlanResult(Array.Empty<PipelinePlan>(), errors);
            }
        }

        var plans = new List<PipelinePlan>();
        foreach (var definition in chosen)
        {
            try
            {
                plans.Add(planner.Plan(definition));
            }
            catch (FlowConfigurationException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }

        return new FlowPlanResult(plans, errors);
    }
}
