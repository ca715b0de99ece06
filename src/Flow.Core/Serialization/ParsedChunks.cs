using System.Runtime.ExceptionServices;
using Flow.Batches;
using Microsoft.Extensions.Logging;

namespace Flow.Serialization;

/// <summary>
/// The chunks of one file being parsed on pool threads (a few at once, so every core parses while
/// the reader cuts and hands on), handed back in file order. Numbers kept as text are reported for
/// the whole file as the one-thread readers report them: the first where it is, and a count at the end.
/// </summary>
/// <remarks>
/// Disposing waits for the chunks still being parsed: a reader that stops early (an error, a
/// cancellation) leaves no parse running behind it.
/// </remarks>
internal sealed class ParsedChunks(string displayName, ILogger logger) : IAsyncDisposable
{
    private readonly Queue<Task<ParsedChunk>> _pending = new();
    private long _unrepresentable;

    /// <summary>How many numbers the chunks handed back so far kept as text (the first of them is reported).</summary>
    public long Unrepresentable => _unrepresentable;

    /// <summary>How many chunks may be parsed ahead of the one being handed on.</summary>
    private static int ChunksAhead => Math.Clamp(Environment.ProcessorCount, 2, 8);

    /// <summary>Starts parsing a chunk.</summary>
    public void Add(Func<ParsedChunk> parse) => _pending.Enqueue(Task.Run(parse, CancellationToken.None));

    /// <summary>A failure found while cutting chunks: handed on after every chunk before it.</summary>
    public void Add(FormatException error) => _pending.Enqueue(Task.FromResult(new ParsedChunk([], 0, default, ExceptionDispatchInfo.Capture(error))));

    /// <summary>Whether the oldest chunk should be handed on now: enough are in flight, or the file is cut to its end.</summary>
    public bool Ready(bool final) => _pending.Count > (final ? 0 : ChunksAhead);

    /// <summary>Waits for the oldest chunk; its records go on first, then its error, if any.</summary>
    public async ValueTask<ParsedChunk> NextAsync()
    {
        var chunk = await _pending.Dequeue().ConfigureAwait(false);
        if (chunk.Unrepresentable > 0)
        {
            if (_unrepresentable == 0)
            {
                var (line, column, field, literal) = chunk.FirstUnrepresentable;
                JsonReaderLog.NumberKeptAsText(logger, displayName, line, column, field, literal);
            }

            _unrepresentable += chunk.Unrepresentable;
        }

        return chunk;
    }

    /// <summary>At the end of the file: the count of numbers kept as text, when there was more than one.</summary>
    public void Complete()
    {
        if (_unrepresentable > 1)
        {
            JsonReaderLog.NumbersKeptAsText(logger, displayName, _unrepresentable);
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_pending.Count > 0)
        {
            await _pending.Dequeue().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }
}

/// <summary>What a chunk gave: its records (up to its bad item, if any), the numbers it kept as text, and its error.</summary>
internal sealed record ParsedChunk(List<Record> Records, long Unrepresentable, (long Line, long Column, string Field, string Literal) FirstUnrepresentable, ExceptionDispatchInfo? Error)
{
    /// <summary>The chunk's records and what <paramref name="reader"/> counted while reading them.</summary>
    public static ParsedChunk Of(List<Record> records, JsonRecordReader reader, ExceptionDispatchInfo? error) =>
        new(records, reader.Unrepresentable, reader.FirstUnrepresentable, error);
}
