using Flow.Batches;
using Flow.Steps;

namespace Flow;

/// <summary>
/// A step: turns one input batch into one output batch. The framework runs it, possibly several
/// batches at once (<c>Parallelism</c>), keeps output in source order, and may wrap it in the
/// caching decorator, which serves the output from the cache without calling the step at all.
/// </summary>
/// <remarks>
/// A step should be a function of its configuration and its input: the same parameters and the
/// same input records must give the same output, or the cache will replay a stale answer. Steps
/// that read changing external data set <c>CacheTtl</c> or <c>UseCache: false</c>; when the logic
/// of a step changes, bump its <c>Version</c>. A step owns the batch it is given and may change
/// its records in place.
/// </remarks>
public interface IStep
{
    /// <summary>Processes one batch. Return an empty list to drop every record.</summary>
    ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken);
}
