using Flow.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Flow.Hosting.Options;

/// <summary>
/// Fails <see cref="FlowOptions"/> with every problem of the <c>Flow</c> section at once (the same
/// list <c>flow validate</c> prints), and checks what code set on the options.
/// </summary>
internal sealed class FlowOptionsValidation : IValidateOptions<FlowOptions>
{
    private readonly IConfiguration _configuration;

    public FlowOptionsValidation(IConfiguration configuration) => _configuration = configuration;

    public ValidateOptionsResult Validate(string? name, FlowOptions options)
    {
        var problems = FlowOptionsReader.Read(_configuration, new FlowOptions()).Select(e => e.ToString()).ToList();
        if (options.DrainTimeout <= TimeSpan.Zero)
        {
            problems.Add("Flow:DrainTimeout: must be above zero");
        }

        if (options.ProgressInterval <= TimeSpan.Zero)
        {
            problems.Add("Flow:ProgressInterval: must be above zero");
        }

        if (options.AbortGrace <= TimeSpan.Zero)
        {
            problems.Add("Flow:AbortGrace: must be above zero");
        }

        if (options.Cache.Ttl <= TimeSpan.Zero)
        {
            problems.Add("Flow:Cache:Ttl: must be above zero");
        }

        if (options.Http.Urls is { } urls && FlowHttpOptions.Parse(urls).Problem is { } urlProblem)
        {
            problems.Add("Flow:Http:Urls: " + urlProblem);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Distinct());
    }
}
