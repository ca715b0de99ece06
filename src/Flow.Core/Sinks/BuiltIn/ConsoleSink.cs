using System.Buffers;
using Flow.Batches;
using Flow.Serialization;

namespace Flow.Sinks.BuiltIn;

/// <summary>Sink <c>Console</c>: JSON Lines on standard output.</summary>
internal sealed class ConsoleSink : ISink
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    private Stream? _stdout;

    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        _stdout = Console.OpenStandardOutput();
        return ValueTask.CompletedTask;
    }

    public async ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken)
    {
        JsonLinesWriter.Write(batch.Records, _buffer);
        await _stdout!.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _buffer.ResetWrittenCount();
    }

    public async ValueTask CommitAsync(CancellationToken cancellationToken) =>
        await _stdout!.FlushAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_stdout is not null)
        {
            await _stdout.FlushAsync().ConfigureAwait(false);
        }
    }
}
