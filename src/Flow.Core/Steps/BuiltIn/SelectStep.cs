using Flow.Batches;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>Step <c>Select</c>: keeps the listed <c>Fields</c>, in that order; a listed field a record lacks becomes null.</summary>
internal sealed class SelectStep : RecordStep
{
    private readonly IReadOnlyList<string> _fields;

    public SelectStep(NodeParameters parameters)
    {
        _fields = parameters.GetList("Fields");
        if (_fields.Count == 0)
        {
            throw parameters.Error("Fields", "is required: the list of fields to keep");
        }
    }

    protected override Record? Process(Record record)
    {
        var selected = new Record(_fields.Count);
        foreach (var field in _fields)
        {
            selected.Set(field, record[field]);
        }

        return selected;
    }
}
