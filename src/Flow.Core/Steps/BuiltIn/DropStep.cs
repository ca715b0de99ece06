using Flow.Batches;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>Step <c>Drop</c>: removes the listed <c>Fields</c>.</summary>
internal sealed class DropStep : RecordStep
{
    private readonly IReadOnlyList<string> _fields;

    public DropStep(NodeParameters parameters)
    {
        _fields = parameters.GetList("Fields");
        if (_fields.Count == 0)
        {
            throw parameters.Error("Fields", "is required: the list of fields to drop");
        }
    }

    protected override Record? Process(Record record)
    {
        foreach (var field in _fields)
        {
            record.Remove(field);
        }

        return record;
    }
}
