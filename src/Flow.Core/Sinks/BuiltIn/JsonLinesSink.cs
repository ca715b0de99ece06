using System.Buffers;
using Flow.Batches;
using Flow.Parameters;
using Flow.Serialization;

namespace Flow.Sinks.BuiltIn;

/// <summary>Sink <c>JsonLines</c>: one compact JSON object per line, fields in record order.</summary>
internal sealed class JsonLinesSink : FileSink
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);

    public JsonLinesSink(NodeParameters parameters)
        : base(parameters)
    {
    }

    protected override async ValueTask WriteBatchAsync(Batch batch, CancellationToken cancellationToken)
    {
        JsonLinesWriter.Write(batch.Records, _buffer);
        await Output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _buffer.ResetWrittenCount();
    }
}
