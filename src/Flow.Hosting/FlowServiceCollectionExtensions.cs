using Flow.Settings;
using Flow.Hosting.Building;
using Flow.Hosting.Caching;
using Flow.Hosting.Options;
using Flow.Hosting.Running;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Flow;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Flow to a .NET generic host.</summary>
public static class FlowServiceCollectionExtensions
{
    /// <summary>
    /// Adds Flow: the pipelines of the host configuration's <c>Flow</c> section, plus those written in
    /// <paramref name="configure"/>, run by a hosted worker that stops the host when they finish.
    /// Resolve <see cref="FlowExitCode"/> after the host stops to get the process exit code.
    /// </summary>
    public static FlowBuilder AddFlow(this IServiceCollection services, Action<FlowBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Flow reads its own section (FlowOptionsReader), not the binder: one grammar for durations
        // and sizes, unknown keys are errors, and every problem is reported at once.
        services.AddOptions<FlowOptions>()
            .Configure<IConfiguration>((options, configuration) => FlowOptionsReader.Read(configuration, options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FlowOptions>, FlowOptionsValidation>());
        // The drain after SIGTERM must end inside the host's shutdown window, or the host stops
        // waiting for the run and the process exits with no outcome recorded.
        // Through IOptionsFactory, not IOptions: the host reads its options while it is built, and bad
        // Flow settings must be reported by the configuration check with all the others, not thrown here.
        services.AddOptions<HostOptions>().PostConfigure<IOptionsFactory<FlowOptions>>((host, factory) =>
        {
            FlowOptions flow;
            try
            {
                flow = factory.Create(Microsoft.Extensions.Options.Options.DefaultName);
            }
            catch (OptionsValidationException)
            {
                return;
            }

            var needed = flow.DrainTimeout + flow.AbortGrace + TimeSpan.FromSeconds(10);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        services.TryAddSingleton<FlowExitCode>();
        services.TryAddSingleton<FlowPlans>();
        services.TryAddSingleton<CacheStoreProvider>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepDecorator, StepCache>());
        services.AddHostedService<FlowWorker>();

        var builder = new FlowBuilder(services);
        configure?.Invoke(builder);
        return builder;
    }
}
