using System.Buffers;
using System.Text.Json;
using Flow.Parameters;
using Flow.Pipelines;
using Flow.Serialization;

namespace Flow.Caching;

/// <summary>
/// What a step's output depends on besides its input: its type, its behaviour version (a built-in's,
/// or the <see cref="StepVersionAttribute"/> of a custom step), the <c>Version</c> of its configuration, canonical
/// parameters (typed values in normal form, text as written), the contents of files it declared it
/// reads (<see cref="NodeParameters.DependsOnContent"/>) and the batch serializer's format version. Nothing else (not parallelism, retries,
/// cache flags or node names), so changing those keeps the cache. A step may keep parameters that only
/// tune how it works out (<see cref="NodeParameters.LeaveOutOfSignature"/>) and sign secrets by their hash
/// only (<see cref="NodeParameters.SignAsHash"/>).
/// </summary>
internal sealed class StepSignature
{
    private StepSignature(string type, string? behaviour, bool readsPosition, string? version, NodeParameters parameters, int format)
    {
        Type = type;
        Behaviour = behaviour;
        ReadsPosition = readsPosition;
        Version = version;
        Parameters = parameters;
        Format = format;
        Json = ToJson();
        Hash = CacheHash.Of(System.Text.Encoding.UTF8.GetBytes(Json));
    }

    public string Type { get; }

    /// <summary>The behaviour version of a built-in, or the version a custom step declares in code.</summary>
    public string? Behaviour { get; }

    /// <summary>Whether the batch's position joins every key of this step.</summary>
    public bool ReadsPosition { get; }

    public string? Version { get; }

    public NodeParameters Parameters { get; }

    public int Format { get; }

    /// <summary>The canonical JSON document that is hashed.</summary>
    public string Json { get; }

    /// <summary>Lowercase hex hash of <see cref="Json"/>: the first half of every cache key of this step.</summary>
    public string Hash { get; }

    public static StepSignature For(NodeInstance node) =>
        new(node.Node.CanonicalType, node.Behaviour, node.ReadsBatchPosition, node.Node.Definition.Version, node.Parameters, BatchSerializer.FormatVersion);

    private string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("behaviour", Behaviour);
            if (Parameters.ContentHashes.Count > 0)
            {
                // Only written when a step declared files, so other steps' signatures are unaffected.
                writer.WriteStartObject("contents");
                foreach (var (name, hash) in Parameters.ContentHashes)
                {
                    writer.WriteString(name, hash);
                }

                writer.WriteEndObject();
            }

            writer.WriteNumber("format", Format);
            writer.WritePropertyName("params");
            Parameters.Root.WriteCanonical(writer, Parameters.TypedValues, omit: Parameters.Unsigned);
            if (ReadsPosition)
            {
                writer.WriteBoolean("position", true);
            }

            writer.WriteString("type", Type);
            writer.WriteString("version", Version);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
