using System.Globalization;
using Flow.Pipelines;

namespace Flow.Caching;

/// <summary>
/// Whether a step is worth caching in this run. A step whose batch, in the last run that measured
/// both, took less to compute than a hit took to replay (hash the input, fetch, check, decode) runs
/// uncached: no lookups and no writes, so a warm run of it is never slower than computing it.
/// </summary>
/// <remarks>
/// Decided from the cache's own record of the last run, and only for a step whose signature has not
/// changed since (a changed step is measured afresh). Until both costs are known (a first run, a
/// step never replayed) the step is cached. A step still computes, so its compute time keeps being
/// measured: once it costs more than the replay it was measured against, the next run caches it
/// again. <c>UseCache: true</c> written on the step caches it whatever it costs; resume stays
/// correct either way, since an uncached step computes the same output again.
/// </remarks>
internal static class CacheWorth
{
    /// <summary>Why the step runs uncached this run, or null when it is cached.</summary>
    /// <param name="definition">The step.</param>
    /// <param name="last">The step's record in the last run, when its signature is unchanged since; else null.</param>
    public static string? NotWorthIt(NodeDefinition definition, PipelineSignatures.StepRecord? last)
    {
        if (definition.CacheForced || !definition.UseCache || last is null)
        {
            return null;
        }

        var (compute, replay) = (last.AverageBatchTime, last.AverageReplayTime);
        if (compute <= TimeSpan.Zero || replay <= TimeSpan.Zero || compute >= replay)
        {
            return null;
        }

        return $"not worth caching: in the last run a batch took {Ms(compute)} ms to compute and {Ms(replay)} ms to replay from the cache, "
               + "so it computes (UseCache: true caches it anyway)";
    }

    private static string Ms(TimeSpan time) => time.TotalMilliseconds.ToString(time.TotalMilliseconds < 10 ? "0.###" : "0", CultureInfo.InvariantCulture);
}
