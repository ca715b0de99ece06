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
                ["averageReplayMs"] = step.AverageReplayTime.TotalMilliseconds,
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
    public static PipelineSignatures? TryRead(byte[]? bytes) => TryRead(bytes, out _);

    /// <summary>
    /// Reads a document; null when it is missing (<paramref name="problem"/> null) or not a document
    /// of this version (<paramref name="problem"/> says why). Never throws: the bytes come from a
    /// store anyone may have written to.
    /// </summary>
    public static PipelineSignatures? TryRead(byte[]? bytes, out string? problem)
    {
        problem = null;
        if (bytes is null)
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(bytes) is not JsonObject document)
            {
                problem = "not a JSON object";
                return null;
            }

            if (document["version"] is not JsonValue version || !version.TryGetValue<int>(out var number) || number != DocumentVersion)
            {
                problem = $"not a version {DocumentVersion} document";
                return null;
            }

            var steps = new Dictionary<string, StepRecord>(StringComparer.Ordinal);
            foreach (var (name, node) in document["steps"]!.AsObject())
            {
                var step = node!.AsObject();
                steps[name] = new StepRecord(
                    (string)step["hash"]!,
                    step["signature"]!.AsObject().ToJsonString(),
                    Milliseconds(step["averageBatchMs"]),
                    Milliseconds(step["averageReplayMs"]));
            }

            return new PipelineSignatures(
                (string)document["pipeline"]!,
                DateTimeOffset.Parse((string)document["savedAt"]!, System.Globalization.CultureInfo.InvariantCulture),
                steps);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or NullReferenceException
                                       or KeyNotFoundException or ArgumentException or OverflowException)
        {
            // ArgumentException: a duplicate property name; OverflowException: a number out of range.
            problem = "not a valid document: " + ex.Message;
            return null;
        }
    }

    // A time kept in the document: zero (unknown) when missing or out of range.
    private static TimeSpan Milliseconds(JsonNode? node)
    {
        var ms = (double?)node ?? 0;
        return double.IsFinite(ms) && ms is >= 0 and < 1e12 ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;
    }

    /// <summary>One step's signature in the last run, and what its batches cost there.</summary>
    /// <param name="Hash">The signature's hash.</param>
    /// <param name="SignatureJson">The signature itself, for <c>flow cache explain</c>.</param>
    /// <param name="AverageBatchTime">What computing one batch took on average (zero: never measured).</param>
    /// <param name="AverageReplayTime">What replaying one batch from the cache took on average: hash, fetch, decode (zero: never measured).</param>
    internal sealed record StepRecord(string Hash, string SignatureJson, TimeSpan AverageBatchTime, TimeSpan AverageReplayTime = default);
}
