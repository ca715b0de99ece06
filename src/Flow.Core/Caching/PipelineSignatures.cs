using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flow.Caching;

/// <summary>
/// The signatures a pipeline's steps had in its last run, kept as a metadata document in the store:
/// what <c>flow cache explain</c> compares the current configuration against, and where a step's
/// average batch time is remembered for the "time saved" estimate of a run that is all hits.
/// </summary>
internal sealed class PipelineSignatures
{
    private const int DocumentVersion = 1;

    public PipelineSignatures(string pipeline, DateTimeOffset savedAt, IReadOnlyDictionary<string, StepRecord> steps)
    {
        Pipeline = pipeline;
        SavedAt = savedAt;
        Steps = steps;
    }

    public string Pipeline { get; }

    public DateTimeOffset SavedAt { get; }

    public IReadOnlyDictionary<string, StepRecord> Steps { get; }

    /// <summary>Metadata name of a pipeline's document: only safe file-name characters, whatever the pipeline is called.</summary>
    public static string MetadataName(string pipeline)
    {
        var name = new StringBuilder("pipeline.");
        foreach (var c in pipeline)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                name.Append(c);
            }
            else
            {
                name.Append('%').Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return name.ToString();
    }

    public byte[] ToBytes()
    {
        var steps = new JsonObject();
        foreach (var (name, step) in Steps)
        {
            steps[name] = new JsonObject
            {
                ["hash"] = step.Hash,
                ["signature"] = JsonNode.Parse(step.SignatureJson),
                ["averageBatchMs"] = step.AverageBatchTime.TotalMilliseconds,
            };
        }

        var document = new JsonObject
        {
            ["version"] = DocumentVersion,
            ["pipeline"] = Pipeline,
            ["savedAt"] = SavedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["steps"] = steps,
        };
        return Encoding.UTF8.GetBytes(document.ToJsonString());
    }

    /// <summary>Reads a document; null when it is missing or unreadable (then nothing is known of the last run).</summary>
    public static PipelineSignatures? TryRead(byte[]? bytes)
    {
        if (bytes is null)
        {
            return null;
        }

        try
        {
            var document = JsonNode.Parse(bytes)!.AsObject();
            if ((int?)document["version"] != DocumentVersion)
            {
                return null;
            }

            var steps = new Dictionary<string, StepRecord>(StringComparer.Ordinal);
            foreach (var (name, node) in document["steps"]!.AsObject())
            {
                var step = node!.AsObject();
                steps[name] = new StepRecord(
                    (string)step["hash"]!,
                    step["signature"]!.ToJsonString(),
                    TimeSpan.FromMilliseconds((double?)step["averageBatchMs"] ?? 0));
            }

            return new PipelineSignatures(
                (string)document["pipeline"]!,
                DateTimeOffset.Parse((string)document["savedAt"]!, System.Globalization.CultureInfo.InvariantCulture),
                steps);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or NullReferenceException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>One step's signature in the last run.</summary>
    internal sealed record StepRecord(string Hash, string SignatureJson, TimeSpan AverageBatchTime);
}
