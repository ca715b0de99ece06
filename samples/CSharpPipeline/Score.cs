using Flow.Batches;
using Flow.Parameters;
using Flow.Steps;

namespace Flow.Samples;

/// <summary>A custom step: adds <c>score</c> = delay times <c>Weight</c>. Bump its Version when this logic changes.</summary>
public sealed class Score : RecordStep
{
    private readonly long _weight;

    /// <summary>Reads the step's <c>Params</c>.</summary>
    public Score(NodeParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _weight = parameters.GetInt64("Weight", 1);
    }

    /// <inheritdoc />
    protected override Record? Process(Record record)
    {
        record["score"] = (record["delay"] is long delay ? delay : 0) * _weight;
        return record;
    }
}
