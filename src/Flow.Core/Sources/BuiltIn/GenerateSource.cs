using System.Runtime.CompilerServices;
using Flow.Batches;
using Flow.Execution;
using Flow.Parameters;

namespace Flow.Sources.BuiltIn;

/// <summary>
/// Source <c>Generate</c>: <c>Count</c> synthetic records, the same ones for the same <c>Seed</c>.
/// <c>Fields</c> maps names to kinds: <c>seq</c> (0, 1, 2...), <c>int</c>, <c>double</c>, <c>string</c>,
/// <c>bool</c>, <c>guid</c>. Without <c>Fields</c>: <c>id</c> (seq) and <c>value</c> (double).
/// </summary>
internal sealed class GenerateSource : IChunkedSource
{
    private const int ChunkSize = 1024;
    private const int YieldEvery = 4 * ChunkSize;
    private static readonly string[] Kinds = { "seq", "int", "double", "string", "bool", "guid" };

    private readonly long _count;
    private readonly int _seed;
    private readonly (string Name, FieldKind Kind)[] _fields;

    public GenerateSource(NodeParameters parameters)
    {
        _count = parameters.GetInt64("Count", 1000, min: 0);
        _seed = parameters.GetInt32("Seed", 0);
        var fields = parameters.GetMap("Fields");
        _fields = fields.Count == 0
            ? new[] { ("id", FieldKind.Seq), ("value", FieldKind.Double) }
            : fields.Select(f => (f.Key, KindOf(parameters, f.Key, f.Value))).ToArray();
    }

    private enum FieldKind
    {
        Seq,
        Int,
        Double,
        String,
        Bool,
        Guid,
    }

    public async IAsyncEnumerable<Record> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in ReadChunksAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var record in chunk)
            {
                yield return record;
            }
        }
    }

    public async IAsyncEnumerable<IReadOnlyList<Record>> ReadChunksAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Random with a seed is deterministic for a given runtime, which is what a replay needs.
        var random = new Random(_seed);
        var guid = new byte[16];

        // Field names are the keys of a map, so distinct: every record shares one names array.
        var layout = Array.ConvertAll(_fields, f => f.Name);
        for (var start = 0L; start < _count; start += ChunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (start > 0 && start % YieldEvery == 0)
            {
                await Task.Yield();
            }

            var end = Math.Min(start + ChunkSize, _count);
            var chunk = new List<Record>((int)(end - start));
            for (var i = start; i < end; i++)
            {
                chunk.Add(Create(i, layout, random, guid));
            }

            yield return chunk;
        }
    }

    private Record Create(long i, string[] layout, Random random, byte[] guid)
    {
        var record = new Record(layout, layout.Length);
        foreach (var (name, kind) in _fields)
        {
            record.Append(name, kind switch
            {
                FieldKind.Seq => (object)i,
                FieldKind.Int => (long)random.Next(0, 1_000_000),
                FieldKind.Double => Math.Round(random.NextDouble() * 1000, 3),
                FieldKind.String => RandomWord(random),
                FieldKind.Bool => Boxes.Of(random.Next(2) == 1),
                _ => NewGuid(random, guid),
            });
        }

        return record;
    }

    private static FieldKind KindOf(NodeParameters parameters, string field, string kind)
    {
        var index = Array.IndexOf(Kinds, kind.Trim().ToLowerInvariant());
        return index >= 0
            ? (FieldKind)index
            : throw parameters.Error($"Fields:{field}", $"unknown kind '{kind}' (expected {string.Join(", ", Kinds)})");
    }

    private static string RandomWord(Random random) =>
        string.Create(8, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + r.Next(26));
            }
        });

    private static string NewGuid(Random random, byte[] buffer)
    {
        random.NextBytes(buffer);
        return new Guid(buffer).ToString();
    }
}
