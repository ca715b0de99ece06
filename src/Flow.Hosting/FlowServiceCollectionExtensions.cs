using Flow.Settings;
using Flow.Hosting.Building;
using Flow.Caching;
using Flow.Hosting.Options;
using Flow.Hosting.Running;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Flow;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Flow to a .NET generic host.</summary>
public static class FlowServiceCollectionExtensions
{
    /// <summary>
    /// Adds Flow's services: the pipelines of the host configuration's <c>Flow</c> section plus those
    /// written in <paramref name="configure"/>, the step cache (the File and Memory stores; add others
    /// with <c>AddCacheStore</c>), the <c>IHttpClientFactory</c> client <c>Flow.Http</c> of the
    /// <c>Http</c> step (configure it with <c>AddHttpClient("Flow.Http")</c> for a proxy or certificates),
    /// and <see cref="IPipelineRunner"/> to run a pipeline on demand. It
    /// runs nothing by itself and never stops the host: add <see cref="AddFlowWorker"/> for a process
    /// that runs its pipelines and exits.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Pipelines and node types written in C#.</param>
    /// <returns>The builder, for more pipelines and node types.</returns>
    public static FlowBuilder AddFlow(this IServiceCollection services, Action<FlowBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        // Flow reads its own section (FlowOptionsReader), not the binder: one grammar for durations
        // and sizes, unknown keys are errors, and every problem is reported at once.
        services.AddOptions<FlowOptions>()
            .Configure<IConfiguration>((options, configuration) => FlowOptionsReader.Read(configuration, options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FlowOptions>, FlowOptionsValidation>());
        if (!services.Any(d => d.ServiceType == typeof(FlowCatalog)))
        {
            services.AddDefaultCacheStores();
        }

        services.TryAddSingleton(provider => new CacheStoreProvider(
            provider.GetRequiredService<IOptions<FlowOptions>>().Value.Cache,
            provider.GetServices<CacheStoreRegistration>(),
            provider,
            provider.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(provider => new StepCache(
            provider.GetRequiredService<CacheStoreProvider>(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("Flow.Caching")));
        // The Http step's client. Its own resilience pipeline logs what matters at Debug; the
        // factory's loggers would add four Information lines per request (one per record in Record mode).
        services.AddHttpClient(Flow.Steps.BuiltIn.HttpStep.ClientName).RemoveAllLoggers();
        services.TryAddSingleton<Flow.Execution.LiveRuns>();
        services.TryAddSingleton<FlowCatalog>();
        services.TryAddSingleton<FlowPipelineRunner>();
        services.TryAddSingleton<IPipelineRunner>(provider => provider.GetRequiredService<FlowPipelineRunner>());

        var builder = new FlowBuilder(services);
        configure?.Invoke(builder);
        return builder;
    }

    /// <summary>
    /// Adds the worker that runs the selected pipelines (<c>Flow:Run:Pipeline</c>, or all) side by side
    /// once the host starts, writes their summary (and <c>Flow:Run:Report</c>), and then stops the
    /// host: what the <c>flow</c> executable is. Resolve <see cref="FlowExitCode"/> after the host stops
    /// for the process exit code. Call <see cref="AddFlow"/> too.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddFlowWorker(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        // The drain after SIGTERM must end inside the host's shutdown window, or the host stops
        // waiting for the run and the process exits with no outcome recorded. Through
        // IOptionsFactory, not IOptions: the host reads its options while it is built, and bad Flow
        // settings must be reported by the configuration check with all the others, not thrown here.
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
        services.AddHostedService<FlowWorker>();
        return services;
    }
}
