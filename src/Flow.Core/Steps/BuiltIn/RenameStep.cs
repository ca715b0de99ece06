using Flow.Batches;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>Step <c>Rename</c>: renames fields by <c>Map</c> (old name to new name), keeping their positions.</summary>
internal sealed class RenameStep : RecordStep
{
    private readonly IReadOnlyList<KeyValuePair<string, string>> _map;

    public RenameStep(NodeParameters parameters)
    {
        _map = parameters.GetMap("Map");
        if (_map.Count == 0)
        {
            throw parameters.Error("Map", "is required: old field names to new ones");
        }

        foreach (var (from, to) in _map)
        {
            if (string.IsNullOrEmpty(to))
            {
                throw parameters.Error($"Map:{from}", "the new name is empty");
            }
        }
    }

    protected override Record? Process(Record record)
    {
        foreach (var (from, to) in _map)
        {
            record.Rename(from, to);
        }

        return record;
    }
}
