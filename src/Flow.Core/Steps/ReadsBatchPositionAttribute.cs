using Flow.Steps;

namespace Flow;

/// <summary>
/// Marks a step whose output depends on where its batch sits in the source (<see cref="Batch.Id"/>:
/// source, index, offset), not only on its records: such a step may read <c>Batch.Id</c>, and the
/// position joins its cache key, so a cached result is only replayed for the same position. A step
/// without this mark that reads <c>Batch.Id</c> fails its batch with a message saying so.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true, AllowMultiple = false)]
public sealed class ReadsBatchPositionAttribute : Attribute
{
}
