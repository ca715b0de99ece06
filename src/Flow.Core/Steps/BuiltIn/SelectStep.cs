using Flow.Batches;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>Step <c>Select</c>: keeps the listed <c>Fields</c>, in that order; a listed field a record lacks becomes null.</summary>
internal sealed class SelectStep : RecordStep
{
    private readonly IReadOnlyList<string> _fields;
    private readonly bool _distinct;

    public SelectStep(NodeParameters parameters)
    {
        _fields = parameters.GetList("Fields");
        if (_fields.Count == 0)
        {
            throw parameters.Error("Fields", "is required: the list of fields to keep");
        }

        _distinct = _fields.Distinct(StringComparer.Ordinal).Count() == _fields.Count;
    }

    protected override Record? Process(Record record)
    {
        var selected = new Record(_fields.Count);
        if (_distinct)
        {
            // Names known distinct: each field goes at the end, without looking for an earlier one.
            for (var i = 0; i < _fields.Count; i++)
            {
                var field = _fields[i];
                selected.Append(field, RecordValue.Normalize(record[field]));
            }

            return selected;
        }

        foreach (var field in _fields)
        {
            selected.Set(field, record[field]);
        }

        return selected;
    }
}
