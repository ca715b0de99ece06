using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Flow.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Flow.Redis.Streams;

/// <summary>
/// Sink <c>RedisStream</c>: adds each record as JSON in <c>Field</c> of one entry of <c>Stream</c>,
/// exactly once per batch within <c>DedupWindow</c>. One script per batch checks the batch's marker,
/// adds the entries and sets the marker, atomically; the marker is named after the pipeline, the sink
/// and the batch's identity (a file source's position, or a stream batch's identity from its manifest),
/// which a replay of the batch gives again, so a replayed batch (after a crash, a retry, a reclaim)
/// is recognised and skipped. A replay after the marker expired adds the batch again.
/// </summary>
/// <remarks>
/// The marker lives under the stream's hash tag (<see cref="StreamKeys"/>), so the script touches one
/// slot on a Redis Cluster. Redis trouble that passes (no connection, no answer) is waited out and the
/// batch written again: the marker makes a write that did go through before its reply was lost a
/// no-op the second time.
/// </remarks>
internal sealed class RedisStreamSink : ISink
{
    internal const string Behaviour = "1";

    // KEYS[1] stream, KEYS[2] marker; ARGV[1] marker ttl (ms), ARGV[2] field, ARGV[3] max length (0: none), ARGV[4..] values.
    private const string AddOnceText = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
        local stream, field = KEYS[1], ARGV[2]
        if tonumber(ARGV[3]) > 0 then
          local maxlen = ARGV[3]
          for i = 4, #ARGV do redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', field, ARGV[i]) end
        else
          for i = 4, #ARGV do redis.call('XADD', stream, '*', field, ARGV[i]) end
        end
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
        return #ARGV - 3
        """;

    private readonly RedisStreamConnections _connections;
    private readonly string _configuration;
    private readonly string _pipeline;
    private readonly string _name;
    private readonly RedisKey _stream;
    private readonly string _markerPrefix;
    private readonly string _field;
    private readonly long _maxLength;
    private readonly TimeSpan _dedupWindow;
    private readonly RedisOutage _outage;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private Utf8JsonWriter? _writer; // one for the sink's life, reset per record (batches are written one at a time)
    private IDatabase? _database;

    public RedisStreamSink(NodeContext context, RedisStreamConnections connections)
    {
        var p = context.Parameters;
        _connections = connections;
        _pipeline = context.PipelineName;
        _name = context.NodeName;
        _configuration = RedisStreamSettings.Connection(context, p);
        var stream = RedisStreamSettings.Stream(p);
        _stream = stream;
        _markerPrefix = StreamKeys.Prefix(stream) + "out:";
        _field = RedisStreamSettings.Field(p);

        _maxLength = p.GetInt64("MaxLength", 0, min: 0);
        _dedupWindow = p.GetDuration("DedupWindow") ?? TimeSpan.FromDays(1);
        if (_dedupWindow < TimeSpan.FromSeconds(1))
        {
            throw p.Error("DedupWindow", "must be at least 1s: it is how long a replayed batch is recognised");
        }

        _logger = context.LoggerFactory.CreateLogger<RedisStreamSink>();
        _outage = new RedisOutage(_logger, $"sink '{_name}' of pipeline '{_pipeline}'", RedisStreamConnections.EndPoints(_configuration));
    }

    public static IReadOnlyList<string> Parameters { get; } = ["Stream", "MaxLength", "Field", "DedupWindow", "Redis"];

    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        var multiplexer = await _connections.GetAsync(_configuration, cancellationToken).ConfigureAwait(false);
        _database = multiplexer.GetDatabase();
    }

    public async ValueTask WriteAsync(Batch batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return; // nothing to add, and nothing a replay could add twice
        }

        var args = new RedisValue[batch.Count + 3];
        args[0] = (long)Math.Ceiling(_dedupWindow.TotalMilliseconds);
        args[1] = _field;
        args[2] = _maxLength;
        var content = new XxHash128();
        Span<byte> length = stackalloc byte[4];
        for (var i = 0; i < batch.Count; i++)
        {
            var encoded = Encode(batch.Records[i]);
            BinaryPrimitives.WriteInt32LittleEndian(length, encoded.Length); // as BitConverter wrote it on this (little-endian) machine: markers stay the same
            content.Append(length);
            content.Append(encoded);
            args[i + 3] = encoded;
        }

        RedisKey[] keys = [_stream, Marker(batch.Identity, content.GetCurrentHashAsUInt128())];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var added = (long)await _database!.ScriptEvaluateAsync(AddOnceText, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
                _outage.Succeeded();
                if (added < 0)
                {
                    StreamLog.BatchSkipped(_logger, _pipeline, _name, batch.Identity.ToString());
                }

                return;
            }
            catch (Exception ex) when (RedisOutage.IsTransient(ex))
            {
                await _outage.PauseAsync(ex, "adding a batch to stream " + (string?)_stream, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisException ex)
            {
                throw _outage.Fatal(ex, "adding a batch to stream " + (string?)_stream);
            }
        }
    }

    public ValueTask CommitAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The marker of a batch: <c>{tag}:flow:out:</c> and a hash of the pipeline, the sink, the batch's
    /// identity and the hash of what it adds (hashed, so names with any characters cannot run into
    /// each other). The content counts because a file source's identities are positions, which
    /// another run over other input gives again: that run's batches are not replays, and are added.
    /// A replay adds the same bytes (its steps replay from the cache, or compute the same again).
    /// </summary>
    internal RedisKey Marker(BatchId id, UInt128 content)
    {
        var identity = string.Join('\n', _pipeline, _name, id.Source,
            id.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), id.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
            content.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(identity));
        return _markerPrefix + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    private byte[] Encode(Record record)
    {
        _buffer.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = RecordJson.CreateWriter(_buffer);
        }
        else
        {
            _writer.Reset(_buffer);
        }

        RecordJson.Write(_writer, record);
        _writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }
}
