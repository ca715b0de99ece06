using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using Flow.Execution;
using Flow.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Flow.Redis.Streams;

/// <summary>
/// Source <c>RedisStream</c>: reads a stream as one consumer of a consumer group and forms batches of
/// its entries (each entry one record, as JSON in <c>Field</c>), acknowledging an entry only once every
/// sink wrote what came of its batch.
/// </summary>
/// <remarks>
/// <para>Batch identity. Before a batch goes into the pipeline its manifest is written to Redis: the
/// batch's name mapped to its entry ids in order (<c>{tag}:flow:in:GROUP:batch:NAME</c>, a string of
/// ids), and the name added to the group's live batches (<c>{tag}:flow:in:GROUP:batches</c>, a set). When those
/// entries come back (this consumer's pending entries after a restart, entries reclaimed from a dead
/// consumer, a failed batch delivered again) they form the same batch again: same records in the same
/// order, so the same bytes, so its steps replay from the cache; and the same <see cref="BatchId"/>, so
/// a <c>RedisStream</c> sink recognises it. The id is a function of the entry ids alone: <c>Index</c> is
/// the first entry's millisecond time, <c>Offset</c> a 63-bit hash of all the batch's ids in order. So
/// the same entries always give the same id, and a batch of other entries (part of a batch, when some
/// of its entries were deleted from the stream) gets another one: two different batches never share one.</para>
/// <para>Reading. StackExchange.Redis has no blocking XREADGROUP (a blocked command would hold up every
/// other command of its connection), so the source polls: at once while entries come, then with a
/// delay that doubles from 1 ms to 50 ms (or less, when a batch waits to close on <c>MaxBatchDelay</c>)
/// while the stream is quiet. While entries come it reads one batch ahead, on a connection of its own
/// (replies come back in order on a connection: a manifest's reply must not wait behind a large read),
/// and writes a batch's manifest while it parses the next one.</para>
/// <para>Claims. Every <c>ClaimIdle</c>/2 the source runs XAUTOCLAIM for entries idle longer than
/// <c>ClaimIdle</c>, following its cursor to the end, in a script that also claims every other entry of
/// each claimed entry's batch (by its manifest), so a dead consumer's batch moves to one consumer whole.
/// Every <c>ClaimIdle</c>/3 the entries this source still holds (being formed, in the pipeline, waiting
/// to be delivered again or to be acknowledged) are claimed to itself again (XCLAIM JUSTID), which
/// resets their idle time without counting a delivery, so a live worker's entries are never taken.</para>
/// <para>Failures. A batch whose step threw is delivered again after <c>RetryDelay</c>, whole, until it
/// was delivered <c>MaxDeliveries</c> times; then in halves (each a new batch), and halves that fail are
/// halved again, so an entry that fails alone, after <c>MaxDeliveries</c> deliveries, goes to the
/// <c>DeadLetter</c> stream with its error (written before the entry is acknowledged) while the entries
/// that only shared its batch go on. An entry that is not a JSON object, or lacks <c>Field</c>, goes to
/// the dead-letter stream with the reason when it is read.</para>
/// </remarks>
internal sealed class RedisStreamSource : ISource, IBatchSource, IAsyncDisposable
{
    private const int PendingPage = 1000;
    private const int ClaimChunk = 1000;
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaintenanceTick = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan FinalAckBound = TimeSpan.FromSeconds(5);

    // KEYS[1] stream, KEYS[2] the group's live batches (a set of names); ARGV[1] group, ARGV[2] consumer,
    // ARGV[3] min idle (ms), ARGV[4] cursor, ARGV[5] count, ARGV[6] manifest key prefix. Claims idle
    // entries, then the rest of each live batch one of them is in, in one step: no other consumer can
    // take part of a batch in between. The live batches are the ones in flight across the group, so
    // reading their manifests is bounded by what is in flight, and it happens only when something was
    // claimed (a consumer died or stalled), never on the way of a healthy stream.
    private const string Reclaim = """
        local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5], 'JUSTID')
        local more = 0
        if #r[2] > 0 then
          local claimed = {}
          for _, id in ipairs(r[2]) do claimed[id] = true end
          for _, name in ipairs(redis.call('SMEMBERS', KEYS[2])) do
            local m = redis.call('GET', ARGV[6] .. name)
            if m then
              local ids, hit = {}, 0
              for x in string.gmatch(m, '%S+') do
                ids[#ids + 1] = x
                if claimed[x] then hit = hit + 1 end
              end
              if hit > 0 then
                more = more - hit -- counted by XAUTOCLAIM already
                -- XCLAIM's arguments built whole: an unpack() that is not last would give one id.
                for first = 1, #ids, 1000 do
                  local call = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0}
                  for k = first, math.min(first + 999, #ids) do call[#call + 1] = ids[k] end
                  call[#call + 1] = 'JUSTID'
                  more = more + #redis.call(unpack(call))
                end
              end
            end
          end
        end
        return {r[1], #r[2], more, #r[3]}
        """;

    private readonly RedisStreamConnections _connections;
    private readonly string _configuration;
    private readonly string _pipeline;
    private readonly string _name;
    private readonly RedisKey _stream;
    private readonly string _streamName;
    private readonly RedisValue _group;
    private readonly RedisValue _consumer;
    private readonly RedisKey _batches;
    private readonly string _manifestPrefix;
    private readonly RedisKey _deadLetter;
    private readonly string _field;
    private readonly bool _stopWhenDrained;
    private readonly TimeSpan _maxBatchDelay;
    private readonly TimeSpan _claimIdle;
    private readonly TimeSpan _retryDelay;
    private readonly int _maxDeliveries;
    private readonly string _start;
    private readonly ILogger _logger;
    private readonly RedisOutage _outage;
    private readonly JsonObjectReader _reader;
    private readonly Func<string> _nameOfReading; // the entry being read, named only for a message

    private readonly object _gate = new();
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<BatchId, Formed> _inFlight = new();
    private readonly List<(DateTime Due, Formed Batch, Exception Error)> _retries = new();
    private readonly List<Formed> _acks = new();
    private readonly CancellationTokenSource _closing = new();
    private RedisValue _reading;
    private IDatabase? _database;
    private IDatabase? _reads;
    private Task? _maintenance;
    private volatile bool _recover = true;
    private TimeSpan _groupDelay = RedisOutage.FirstDelay;
    private int _disposed;

    public RedisStreamSource(NodeContext context, RedisStreamConnections connections)
    {
        var p = context.Parameters;
        _connections = connections;
        _pipeline = context.PipelineName;
        _name = context.NodeName;
        _configuration = RedisStreamSettings.Connection(context, p);
        _streamName = RedisStreamSettings.Stream(p);

        _stream = _streamName;
        var group = p.GetRequiredString("Group");
        _group = group;
        _consumer = p.GetString("Consumer") ?? $"{Environment.MachineName}:{_pipeline}:{_name}";
        _field = RedisStreamSettings.Field(p);

        _stopWhenDrained = p.GetBoolean("StopWhenDrained", false);
        _maxBatchDelay = Positive(p, "MaxBatchDelay", TimeSpan.FromMilliseconds(200));
        _claimIdle = Positive(p, "ClaimIdle", TimeSpan.FromSeconds(60));
        if (_claimIdle < TimeSpan.FromMilliseconds(300))
        {
            throw p.Error("ClaimIdle", "must be at least 300ms: a live worker renews its entries every third of it");
        }

        _retryDelay = Positive(p, "RetryDelay", TimeSpan.FromSeconds(1));
        _maxDeliveries = p.GetInt32("MaxDeliveries", 5, min: 1);
        _deadLetter = p.GetString("DeadLetter") ?? _streamName + ":dead";
        _start = p.GetString("Start", "0")!;
        if (_start is not ("0" or "$") && !IsEntryId(_start))
        {
            throw p.Error("Start", $"'{_start}' is not a stream position: 0 (the whole stream), $ (only new entries) or an entry id such as 1700000000000-0");
        }

        var prefix = StreamKeys.Prefix(_streamName) + "in:" + group + ":";
        _batches = prefix + "batches";
        _manifestPrefix = prefix + "batch:";
        _logger = context.LoggerFactory.CreateLogger<RedisStreamSource>();
        _outage = new RedisOutage(_logger, $"source '{_name}' of pipeline '{_pipeline}'", RedisStreamConnections.EndPoints(_configuration));
        _reader = new JsonObjectReader(_logger);
        _nameOfReading = () => $"stream {_streamName} entry {(string)_reading!} field {_field}";
    }

    public static IReadOnlyList<string> Parameters { get; } =
        ["Stream", "Group", "Consumer", "StopWhenDrained", "Field", "MaxBatchDelay", "ClaimIdle", "MaxDeliveries", "DeadLetter", "RetryDelay", "Start", "Redis"];

    public bool IsUnbounded => !_stopWhenDrained;

    internal string ConsumerName => (string)_consumer!;

    public IAsyncEnumerable<Record> ReadAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("a RedisStream source forms its own batches (IBatchSource)");

    public async IAsyncEnumerable<SourceBatch> ReadBatchesAsync(int batchSize, CancellationToken stop, [EnumeratorCancellation] CancellationToken abort)
    {
        // Two tokens: a stop ends the waits (polling delays, outage pauses) and the forming of new
        // batches, but never a Redis call half-way: an XREADGROUP cancelled after the server ran it
        // would leave entries pending that this run never saw. Only the abort cuts calls short.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        var token = reading.Token;
        if (!await ConnectAsync(token, abort).ConfigureAwait(false))
        {
            yield break;
        }

        StreamLog.Reading(_logger, _pipeline, _name, _streamName, (string)_group!, (string)_consumer!);
        _maintenance ??= Task.Run(() => MaintainAsync(_closing.Token), CancellationToken.None);

        var buffer = new List<(RedisValue Id, Record Record)>(batchSize);
        var bufferStarted = DateTime.UtcNow;
        var pollDelay = TimeSpan.FromMilliseconds(1);
        var waitingLogged = false;

        // Read-ahead: a read that brought all it asked for says more entries are waiting, so the next
        // read goes out at once and Redis runs it while this batch is parsed, recorded and delivered.
        // It is taken in first at the top of the loop, before pending entries or retries are looked
        // at, so an entry it brings is never also taken up as pending; and none goes out while pending
        // entries or failed batches wait, so a backlog never holds them up for more than one batch.
        // Its entries are held (kept alive) as soon as its reply comes, not when the loop takes them in:
        // the loop may wait a long time at a yield for the pipeline to take a batch.
        // Likewise a batch's manifest is written while the next batch is parsed: the batch goes out
        // (in order) once it is written, before anything else is delivered, waited for or looked at.
        Task<StreamEntry[]?>? ahead = null;
        var aheadAsked = 0;
        Task<Formed?>? forming = null;
        while (!token.IsCancellationRequested || ahead is not null)
        {
            StreamEntry[]? entries;
            if (ahead is not null)
            {
                entries = await ahead.ConfigureAwait(false);
                ahead = null;
            }
            else
            {
                if (forming is not null)
                {
                    var written = await forming.ConfigureAwait(false);
                    forming = null;
                    if (written is null)
                    {
                        break;
                    }

                    yield return Deliver(written);
                }

                // Own pending entries first (at start, and after a claim brought some), then failed
                // batches that are due again, then new entries.
                if (_recover)
                {
                    _recover = false;
                    var recovered = await CallAsync(() => RecoverAsync(batchSize, abort), "taking up pending entries", token, abort).ConfigureAwait(false);
                    foreach (var batch in recovered ?? [])
                    {
                        yield return Deliver(batch);
                    }

                    continue;
                }

                foreach (var (batch, error) in DueRetries())
                {
                    var again = await CallAsync(() => RedeliverAsync(batch, error, abort), "delivering a failed batch again", token, abort).ConfigureAwait(false);
                    foreach (var formed in again ?? [])
                    {
                        yield return Deliver(formed);
                    }
                }

                aheadAsked = Math.Max(1, batchSize - buffer.Count);
                entries = await ReadAsync(aheadAsked, token, abort).ConfigureAwait(false);
            }

            if (entries is null)
            {
                break; // stopped, or aborted: what a cut-short read took stays pending for the next start
            }

            if (buffer.Count == 0)
            {
                bufferStarted = DateTime.UtcNow;
            }

            if (entries.Length >= aheadAsked && !token.IsCancellationRequested && !_recover && !RetryDue())
            {
                aheadAsked = Math.Max(1, batchSize - Math.Max(0, buffer.Count + entries.Length - batchSize));
                ahead = ReadAsync(aheadAsked, token, abort);
            }

            // Read entries are taken through even on a stop: they are pending now, and a stop drains
            // what was read rather than leaving it for the next start.
            foreach (var entry in entries)
            {
                if (Unreadable(entry, out var record) is { } reason)
                {
                    await CallAsync(async () => { await DeadLetterAsync(entry.Id, entry, reason, 1, null, abort).ConfigureAwait(false); return true; }, "setting aside an entry that cannot be read", abort, abort).ConfigureAwait(false);
                }
                else
                {
                    buffer.Add((entry.Id, record));
                }
            }

            // The batch formed before goes out now that this one is parsed: its manifest was written meanwhile.
            if (forming is not null)
            {
                var written = await forming.ConfigureAwait(false);
                forming = null;
                if (written is null)
                {
                    break;
                }

                yield return Deliver(written);
            }

            if (buffer.Count >= batchSize || (buffer.Count > 0 && DateTime.UtcNow - bufferStarted >= _maxBatchDelay))
            {
                // A batch of at most BatchSize; what a read-ahead brought beyond it starts the next one.
                var rest = buffer.Count > batchSize ? buffer.GetRange(batchSize, buffer.Count - batchSize) : null;
                if (rest is not null)
                {
                    buffer.RemoveRange(batchSize, rest.Count);
                }

                var entriesOfBatch = buffer;
                forming = CallAsync(() => FormAsync(entriesOfBatch, null, 1), "recording a batch's entries", abort, abort);
                buffer = rest ?? new List<(RedisValue Id, Record Record)>(batchSize);
                bufferStarted = DateTime.UtcNow;
                pollDelay = TimeSpan.FromMilliseconds(1);
                continue;
            }

            if (entries.Length > 0)
            {
                pollDelay = TimeSpan.FromMilliseconds(1);
                continue;
            }

            if (_stopWhenDrained && buffer.Count == 0 && Drained())
            {
                // Drained means every entry of the group was processed, not only this consumer's:
                // entries a dead consumer left are taken over once idle longer than ClaimIdle, and
                // entries another consumer still works on are waited for.
                var claimed = await CallAsync(ClaimIdleAsync, "claiming idle entries", token, abort).ConfigureAwait(false);
                if (claimed > 0)
                {
                    continue;
                }

                var (others, unknown) = await CallAsync(PendingElsewhereAsync, "looking for other consumers' pending entries", token, abort).ConfigureAwait(false);
                if (unknown)
                {
                    // Pending for this consumer yet not held: a read whose reply was lost ran after all.
                    _recover = true;
                    continue;
                }

                if (others == 0)
                {
                    yield break;
                }

                if (!waitingLogged)
                {
                    waitingLogged = true;
                    StreamLog.WaitingForOthers(_logger, _pipeline, _name, others, (long)_claimIdle.TotalMilliseconds);
                }
            }

            var wait = pollDelay;
            if (buffer.Count > 0)
            {
                var closesIn = _maxBatchDelay - (DateTime.UtcNow - bufferStarted);
                wait = closesIn < wait ? closesIn : wait;
            }

            if (!await DelayAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, token).ConfigureAwait(false))
            {
                break;
            }

            pollDelay = TimeSpan.FromTicks(Math.Min(pollDelay.Ticks * 2, MaxPollDelay.Ticks));
        }

        // A stop: what was read goes into one last batch (the run drains it, and its entries are
        // acknowledged with the rest). On an abort they stay pending: the next start takes them up first.
        if (forming is not null && await forming.ConfigureAwait(false) is { } formedLast && !abort.IsCancellationRequested)
        {
            yield return Deliver(formedLast);
        }

        if (buffer.Count > 0 && !abort.IsCancellationRequested)
        {
            var last = await CallAsync(() => FormAsync(buffer, null, 1), "recording a batch's entries", abort, abort).ConfigureAwait(false);
            if (last is not null)
            {
                yield return Deliver(last);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        if (_maintenance is not null)
        {
            try
            {
                await _maintenance.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // It ends on the closing token.
            }

            // What the pipeline finished is acknowledged before the node goes: a bounded wait, as
            // the host's shutdown window is bounded too. What is not acknowledged is delivered again.
            using var bound = new CancellationTokenSource(FinalAckBound);
            Exception? last = null;
            while (AcksWaiting() > 0 && !bound.IsCancellationRequested)
            {
                try
                {
                    await FlushAcksAsync().WaitAsync(bound.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisOutage.IsTransient(ex) || ex is OperationCanceledException)
                {
                    last = ex;
                    if (!await DelayAsync(RedisOutage.FirstDelay, bound.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }

            if (AcksWaiting() is var left and > 0)
            {
                StreamLog.AcksLost(_logger, _pipeline, _name, left, last is null ? "stopped" : RedisOutage.Describe(last));
            }
        }

        _closing.Dispose();
    }

    // ---- forming batches ----

    /// <summary>The identity of the batch of these entries, in this order (see the remarks).</summary>
    internal BatchId IdentityOf(IReadOnlyList<RedisValue> ids)
    {
        var hash = new XxHash64();
        Span<byte> text = stackalloc byte[48]; // an entry id is at most 41 characters (two 20-digit numbers and a dash)
        foreach (var id in ids)
        {
            var length = Encoding.ASCII.GetBytes((string)id!, text);
            hash.Append(text[..length]);
            hash.Append(" "u8);
        }

        var first = (string)ids[0]!;
        var ms = long.Parse(first.AsSpan(0, first.IndexOf('-')), NumberStyles.None, CultureInfo.InvariantCulture);
        return new BatchId(_name, ms, (long)(hash.GetCurrentHashAsUInt64() & long.MaxValue));
    }

    private static string NameOf(BatchId id) => string.Create(CultureInfo.InvariantCulture, $"{id.Index}-{id.Offset}");

    /// <summary>Records the batch's manifest, then returns it, ready to go into the pipeline.</summary>
    /// <remarks>
    /// Two commands a batch, whatever its size (the manifest, and its name in the group's set of live
    /// batches), pipelined on the one connection so run in this order; no script and nothing per entry:
    /// a script, and a write per entry, cost Redis more than the reading itself. A crash between them
    /// is safe: a manifest not in the set is not found, so its entries are taken up as loose entries,
    /// and loose entries that are exactly a batch form it again (the identity is a function of the ids).
    /// </remarks>
    private async Task<Formed> FormAsync(List<(RedisValue Id, Record Record)> entries, string? replaces, long deliveries)
    {
        var ids = new RedisValue[entries.Count];
        var records = new Record[entries.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            (ids[i], records[i]) = entries[i];
        }

        var id = IdentityOf(ids);
        var name = NameOf(id);
        var joined = new StringBuilder(ids.Length * 16);
        for (var i = 0; i < ids.Length; i++)
        {
            joined.Append(i == 0 ? "" : " ").Append((string?)ids[i]);
        }

        var recorded = _database!.StringSetAsync(_manifestPrefix + name, joined.ToString());
        var listed = _database.SetAddAsync(_batches, name);
        var replaced = replaces is null || replaces == name ? Task.CompletedTask : ForgetBatchesAsync([replaces]);
        await Task.WhenAll(recorded, listed, replaced).ConfigureAwait(false);
        return new Formed(id, name, ids, records, deliveries);
    }

    private SourceBatch Deliver(Formed formed)
    {
        lock (_gate)
        {
            _inFlight[formed.Id] = formed;
        }

        return new SourceBatch(formed.Id, formed.Records, new Receipt(this, formed));
    }

    /// <summary>
    /// This consumer's pending entries that it does not hold: left from a previous run (a crash, a
    /// stop), or claimed from another consumer. Entries with a manifest form their batch again; others
    /// form new batches in id order.
    /// </summary>
    private async Task<List<Formed>> RecoverAsync(int batchSize, CancellationToken cancellationToken)
    {
        var pending = new List<(RedisValue Id, long Deliveries)>();
        RedisValue? from = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await _database!.StreamPendingMessagesAsync(_stream, _group, PendingPage, _consumer, from ?? "-", "+").ConfigureAwait(false);
            lock (_gate)
            {
                foreach (var info in page)
                {
                    if (_held.Add((string)info.MessageId!))
                    {
                        pending.Add((info.MessageId, info.DeliveryCount));
                    }
                }
            }

            if (page.Length < PendingPage)
            {
                break;
            }

            from = "(" + (string)page[^1].MessageId!;
        }

        if (pending.Count == 0)
        {
            return [];
        }

        try
        {
            return await FormPendingAsync(pending, batchSize, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Taken up again on the next attempt: the manifests written so far give the same batches.
            Release(pending.Select(p => p.Id));
            throw;
        }
    }

    private async Task<List<Formed>> FormPendingAsync(List<(RedisValue Id, long Deliveries)> pending, int batchSize, CancellationToken cancellationToken)
    {
        var formed = new List<Formed>();

        var deliveries = pending.ToDictionary(p => (string)p.Id!, p => p.Deliveries, StringComparer.Ordinal);
        // Which live batch each pending entry belongs to, from the manifests of the group's live batches
        // (as many as are in flight across its consumers: the entries of acknowledged ones are gone).
        var manifests = await LiveManifestsAsync().ConfigureAwait(false);
        var batchOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, ids) in manifests)
        {
            foreach (var id in ids)
            {
                if (deliveries.ContainsKey((string)id!))
                {
                    batchOf[(string)id!] = name;
                }
            }
        }

        var loose = new List<RedisValue>();
        var byBatch = new Dictionary<string, List<RedisValue>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (id, _) in pending)
        {
            if (!batchOf.TryGetValue((string)id!, out var name))
            {
                loose.Add(id);
                continue;
            }

            if (!byBatch.TryGetValue(name, out var mine))
            {
                byBatch[name] = mine = [];
                order.Add(name);
            }

            mine.Add(id);
        }

        var again = 0;
        foreach (var name in order)
        {
            var ids = manifests[name];
            var mine = byBatch[name].Select(v => (string)v!).ToHashSet(StringComparer.Ordinal);
            var count = byBatch[name].Max(v => deliveries[(string)v!]) + 1;
            var batch = await ClaimAndFormAsync(ids.Where(id => mine.Contains((string)id!)).ToArray(), ids, name, count, cancellationToken).ConfigureAwait(false);
            if (batch is not null)
            {
                again += batch.Name == name ? 1 : 0;
                formed.Add(batch);
            }
        }

        // Entries read (or claimed) that never made it into a recorded batch.
        loose.Sort((a, b) => CompareIds((string)a!, (string)b!));
        for (var i = 0; i < loose.Count; i += batchSize)
        {
            var chunk = loose.Skip(i).Take(batchSize).ToArray();
            var count = chunk.Max(v => deliveries[(string)v!]) + 1;
            if (await ClaimAndFormAsync(chunk, null, null, count, cancellationToken).ConfigureAwait(false) is { } batch)
            {
                formed.Add(batch);
            }
        }

        StreamLog.Recovered(_logger, _pipeline, _name, pending.Count, again, formed.Count - again);
        return formed;
    }

    /// <summary>
    /// Delivers <paramref name="ids"/> to this consumer again (XCLAIM, which counts a delivery and
    /// returns their contents; entries deleted from the stream do not come back) and forms their batch:
    /// the recorded one when every entry of <paramref name="manifest"/> came back, else a new one.
    /// </summary>
    private async Task<Formed?> ClaimAndFormAsync(RedisValue[] ids, RedisValue[]? manifest, string? name, long deliveries, CancellationToken cancellationToken)
    {
        var entries = new List<StreamEntry>(ids.Length);
        for (var i = 0; i < ids.Length; i += ClaimChunk)
        {
            var chunk = ids.AsSpan(i, Math.Min(ClaimChunk, ids.Length - i)).ToArray();
            entries.AddRange((await _database!.StreamClaimAsync(_stream, _group, _consumer, 0, chunk).ConfigureAwait(false)).Where(e => !e.IsNull));
        }

        var byId = entries.ToDictionary(e => (string)e.Id!, StringComparer.Ordinal);
        var good = new List<(RedisValue Id, Record Record)>(ids.Length);
        var gone = new List<RedisValue>();
        foreach (var id in ids)
        {
            if (!byId.TryGetValue((string)id!, out var entry))
            {
                gone.Add(id); // deleted from the stream (XCLAIM dropped it from the pending list)
                continue;
            }

            if (await ParseAsync(entry, deliveries, cancellationToken).ConfigureAwait(false) is { } record)
            {
                good.Add((entry.Id, record));
            }
        }

        Release(gone);
        if (good.Count == 0)
        {
            if (name is not null)
            {
                await ForgetBatchesAsync([name]).ConfigureAwait(false);
            }

            return null;
        }

        if (manifest is not null && name is not null && good.Count == manifest.Length)
        {
            return new Formed(IdentityOf(manifest), name, manifest, good.Select(g => g.Record).ToArray(), deliveries);
        }

        if (manifest is not null && name is not null)
        {
            StreamLog.PartialBatch(_logger, _pipeline, _name, name, manifest.Length - good.Count, manifest.Length);
        }

        return await FormAsync(good, name, deliveries).ConfigureAwait(false);
    }

    /// <summary>A failed batch, due again: whole, halved, or (one entry, delivered often enough) to the dead-letter stream.</summary>
    private async Task<List<Formed>> RedeliverAsync(Formed batch, Exception error, CancellationToken cancellationToken)
    {
        if (batch.Deliveries < _maxDeliveries)
        {
            var again = await ClaimAndFormAsync(batch.Ids, batch.Ids, batch.Name, batch.Deliveries + 1, cancellationToken).ConfigureAwait(false);
            return again is null ? [] : [again];
        }

        if (batch.Ids.Length == 1)
        {
            await DeadLetterAsync(batch.Ids[0], null, $"delivered {batch.Deliveries} times, failed every time: {Redact(error.Message)}", batch.Deliveries, batch.Name, cancellationToken).ConfigureAwait(false);
            return [];
        }

        var half = batch.Ids.Length / 2;
        var result = new List<Formed>(2);
        foreach (var part in new[] { batch.Ids[..half], batch.Ids[half..] })
        {
            if (await ClaimAndFormAsync(part, null, batch.Name, batch.Deliveries + 1, cancellationToken).ConfigureAwait(false) is { } formed)
            {
                result.Add(formed);
            }
        }

        return result;
    }

    /// <summary>The entry's record; null when it cannot be one (then it went to the dead-letter stream, and was acknowledged).</summary>
    private async ValueTask<Record?> ParseAsync(StreamEntry entry, long deliveries, CancellationToken cancellationToken)
    {
        if (Unreadable(entry, out var record) is not { } reason)
        {
            return record;
        }

        await DeadLetterAsync(entry.Id, entry, reason, deliveries, null, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Null when the entry holds a record (then <paramref name="record"/>); otherwise why it cannot.</summary>
    private string? Unreadable(StreamEntry entry, out Record record)
    {
        record = null!;
        var value = entry[_field];
        if (value.IsNull)
        {
            return $"the entry has no field '{_field}'";
        }

        try
        {
            _reading = entry.Id;
            record = _reader.Read((byte[])value!, _nameOfReading);
            return null;
        }
        catch (FormatException ex)
        {
            return "not a JSON object a record can hold: " + ex.Message;
        }
    }

    /// <summary>Adds the entry to the dead-letter stream with the reason, then acknowledges it (in that order: at least once there).</summary>
    private async Task DeadLetterAsync(RedisValue id, StreamEntry? entry, string reason, long deliveries, string? manifest, CancellationToken cancellationToken)
    {
        StreamLog.DeadLettered(_logger, _pipeline, _name, (string)id!, _streamName, (string)_deadLetter!, reason);
        var fields = new List<NameValueEntry>();
        var original = entry ?? (await _database!.StreamRangeAsync(_stream, id, id, 1).ConfigureAwait(false)).FirstOrDefault();
        if (!original.IsNull)
        {
            fields.AddRange(original.Values);
        }

        fields.Add(new NameValueEntry("flow.entry", id));
        fields.Add(new NameValueEntry("flow.stream", _streamName));
        fields.Add(new NameValueEntry("flow.group", _group));
        fields.Add(new NameValueEntry("flow.consumer", _consumer));
        fields.Add(new NameValueEntry("flow.deliveries", deliveries));
        fields.Add(new NameValueEntry("flow.error", reason));
        await _database!.StreamAddAsync(_deadLetter, fields.ToArray()).WaitAsync(cancellationToken).ConfigureAwait(false);
        await AcknowledgeAsync([id], manifest is null ? [] : [manifest]).ConfigureAwait(false);
        Release([id]);
    }

    /// <summary>
    /// Acknowledges <paramref name="ids"/>, then forgets the batches they formed (<paramref name="manifests"/>):
    /// plain commands pipelined in this order, each with every id or name at once.
    /// </summary>
    private Task AcknowledgeAsync(RedisValue[] ids, IReadOnlyCollection<string> manifests)
    {
        var acknowledged = _database!.StreamAcknowledgeAsync(_stream, _group, ids);
        return manifests.Count == 0 ? acknowledged : Task.WhenAll(acknowledged, ForgetBatchesAsync(manifests));
    }

    /// <summary>Takes batches out of the group's live batches and deletes their manifests.</summary>
    private Task ForgetBatchesAsync(IReadOnlyCollection<string> names)
    {
        var unlisted = _database!.SetRemoveAsync(_batches, names.Select(n => (RedisValue)n).ToArray());
        var deleted = _database.KeyDeleteAsync(names.Select(n => (RedisKey)(_manifestPrefix + n)).ToArray());
        return Task.WhenAll(unlisted, deleted);
    }

    /// <summary>The manifests of the group's live batches, by name (a name whose manifest is gone is left out).</summary>
    private async Task<Dictionary<string, RedisValue[]>> LiveManifestsAsync()
    {
        var names = await _database!.SetMembersAsync(_batches).ConfigureAwait(false);
        var texts = await Task.WhenAll(names.Select(n => _database.StringGetAsync(_manifestPrefix + (string)n!))).ConfigureAwait(false);
        var manifests = new Dictionary<string, RedisValue[]>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            if (!texts[i].IsNull)
            {
                manifests[(string)names[i]!] = ((string)texts[i]!).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(id => (RedisValue)id).ToArray();
            }
        }

        return manifests;
    }

    // ---- receipts, acknowledgements, keep-alive, claims ----

    private void Completed(Formed batch)
    {
        lock (_gate)
        {
            _inFlight.Remove(batch.Id);
            _acks.Add(batch);
        }
    }

    private void Failed(Formed batch, Exception error)
    {
        lock (_gate)
        {
            _inFlight.Remove(batch.Id);
            _retries.Add((DateTime.UtcNow + _retryDelay, batch, error));
        }

        var split = batch.Deliveries >= _maxDeliveries
            ? batch.Ids.Length > 1 ? ", in halves, to find the entry that fails" : ", to the dead-letter stream"
            : "";
        StreamLog.Redelivering(_logger, _pipeline, _name, batch.Name, batch.Ids.Length, batch.Deliveries, (long)_retryDelay.TotalMilliseconds, split);
    }

    private bool RetryDue()
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            return _retries.Exists(r => r.Due <= now);
        }
    }

    private List<(Formed Batch, Exception Error)> DueRetries()
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            var due = _retries.Where(r => r.Due <= now).Select(r => (r.Batch, r.Error)).ToList();
            _retries.RemoveAll(r => r.Due <= now);
            return due;
        }
    }

    /// <summary>
    /// Entries of the group that other consumers read and did not acknowledge yet; and whether this
    /// consumer has pending entries it does not hold (a read that timed out on the client but ran on
    /// the server, after the pending entries were last looked at on the other connection).
    /// </summary>
    private async Task<(long Others, bool Unknown)> PendingElsewhereAsync()
    {
        var info = await _database!.StreamPendingAsync(_stream, _group).ConfigureAwait(false);
        var mine = info.Consumers.Where(c => c.Name == _consumer).Sum(c => (long)c.PendingMessageCount);
        int held;
        lock (_gate)
        {
            held = _held.Count;
        }

        return (info.Consumers.Where(c => c.Name != _consumer).Sum(c => (long)c.PendingMessageCount), mine > held);
    }

    /// <summary>A batch every sink wrote, whose completion waits for the run's publish: it can no longer fail.</summary>
    private void Written(Formed batch)
    {
        lock (_gate)
        {
            _inFlight.Remove(batch.Id);
        }
    }

    private bool Drained()
    {
        lock (_gate)
        {
            return _inFlight.Count == 0 && _retries.Count == 0 && !_recover;
        }
    }

    private int AcksWaiting()
    {
        lock (_gate)
        {
            return _acks.Count;
        }
    }

    private void Hold(StreamEntry[] entries)
    {
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                _held.Add((string)entry.Id!);
            }
        }
    }

    private void Release(IEnumerable<RedisValue> ids)
    {
        lock (_gate)
        {
            foreach (var id in ids)
            {
                _held.Remove((string)id!);
            }
        }
    }

    /// <summary>Acknowledgements, keep-alives and claims, until the source is disposed.</summary>
    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        var keepAliveEvery = _claimIdle / 3;
        var claimEvery = _claimIdle / 2;
        var nextKeepAlive = DateTime.UtcNow + keepAliveEvery;
        var nextClaim = DateTime.UtcNow;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // An outage ends when a call succeeds, not when a tick made none (or the reading
                // loop's failures and these "successes" would log the outage once per poll).
                var called = false;
                if (AcksWaiting() > 0)
                {
                    await FlushAcksAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    called = true;
                }

                if (DateTime.UtcNow >= nextKeepAlive)
                {
                    called |= await KeepAliveAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    nextKeepAlive = DateTime.UtcNow + keepAliveEvery;
                }

                if (DateTime.UtcNow >= nextClaim)
                {
                    await ClaimIdleAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    nextClaim = DateTime.UtcNow + claimEvery;
                    called = true;
                }

                if (called)
                {
                    _outage.Succeeded();
                }

                await Task.Delay(MaintenanceTick, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (RedisOutage.IsNoGroup(ex))
            {
                // Not an outage: the reading loop makes the group again (and says so); until then
                // acknowledgements and renewals wait, and go through once it exists.
                if (!await DelayAsync(RedisOutage.FirstDelay, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (RedisOutage.IsTransient(ex))
            {
                try
                {
                    await _outage.PauseAsync(ex, "acknowledging and renewing entries", cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                // Never into the run: a failed maintenance call is logged and tried again later.
                _logger.LogWarning("{Who}: {Problem} while acknowledging and renewing entries; trying again", $"source '{_name}' of pipeline '{_pipeline}'", RedisOutage.Describe(ex));
                try
                {
                    await Task.Delay(RedisOutage.MaxDelay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task FlushAcksAsync()
    {
        List<Formed> batches;
        lock (_gate)
        {
            batches = [.. _acks];
        }

        if (batches.Count == 0)
        {
            return;
        }

        await AcknowledgeAsync(batches.SelectMany(b => b.Ids).ToArray(), batches.ConvertAll(b => b.Name)).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var batch in batches)
            {
                _acks.Remove(batch);
                foreach (var id in batch.Ids)
                {
                    _held.Remove((string)id!);
                }
            }
        }
    }

    /// <summary>Resets the idle time of every entry this source holds, without counting a delivery.</summary>
    private async Task<bool> KeepAliveAsync()
    {
        RedisValue[] held;
        lock (_gate)
        {
            held = _held.Select(id => (RedisValue)id).ToArray();
        }

        for (var i = 0; i < held.Length; i += ClaimChunk)
        {
            var chunk = held.AsSpan(i, Math.Min(ClaimChunk, held.Length - i)).ToArray();
            await _database!.StreamClaimIdsOnlyAsync(_stream, _group, _consumer, 0, chunk).ConfigureAwait(false);
        }

        return held.Length > 0;
    }

    /// <summary>Claims entries idle longer than ClaimIdle (with the rest of their batches), following XAUTOCLAIM's cursor to the end.</summary>
    private async Task<long> ClaimIdleAsync()
    {
        var cursor = "0-0";
        long claimed = 0;
        do
        {
            var reply = (RedisResult[])(await _database!.ScriptEvaluateAsync(
                Reclaim,
                [_stream, _batches],
                [_group, _consumer, (long)_claimIdle.TotalMilliseconds, cursor, 500, _manifestPrefix]).ConfigureAwait(false))!;
            cursor = (string)reply[0]!;
            claimed += (long)reply[1] + (long)reply[2];
        }
        while (cursor != "0-0");

        if (claimed > 0)
        {
            StreamLog.Claimed(_logger, _pipeline, _name, claimed, (long)_claimIdle.TotalMilliseconds);
            _recover = true;
        }

        return claimed;
    }

    // ---- calls to Redis from the reading loop ----

    private async Task<bool> ConnectAsync(CancellationToken waits, CancellationToken abort)
    {
        try
        {
            _database ??= (await _connections.GetAsync(_configuration, waits).ConfigureAwait(false)).GetDatabase();
            _reads ??= (await _connections.GetAsync(_configuration, waits, RedisStreamConnections.Reads).ConfigureAwait(false)).GetDatabase();
        }
        catch (OperationCanceledException) when (waits.IsCancellationRequested)
        {
            return false;
        }

        return await CallAsync(CreateGroupAsync, "creating the consumer group", waits, abort).ConfigureAwait(false);
    }

    /// <summary>Creates the group (and the stream) at <c>Start</c>; a group that exists is left as it is.</summary>
    private async Task<bool> CreateGroupAsync()
    {
        try
        {
            await _database!.StreamCreateConsumerGroupAsync(_stream, _group, _start, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Exists already: its position is the group's, not ours to move.
        }

        return true;
    }

    /// <summary>Up to <paramref name="count"/> new entries for this consumer, held from the moment they come (null: stopped or aborted).</summary>
    private async Task<StreamEntry[]?> ReadAsync(int count, CancellationToken waits, CancellationToken abort)
    {
        var entries = await CallAsync(() => _reads!.StreamReadGroupAsync(_stream, _group, _consumer, StreamPosition.NewMessages, count), "reading the stream", waits, abort).ConfigureAwait(false);
        if (entries is not null)
        {
            // Each id as text once: it is held, hashed, written into the manifest and acknowledged as text.
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = new StreamEntry((string)entries[i].Id!, entries[i].Values);
            }

            Hold(entries);
        }

        return entries;
    }

    /// <summary>
    /// Runs a call of the reading loop until it succeeds: Redis trouble that passes is waited out
    /// (logged once, then every minute), a group that is gone is made again from <c>Start</c>, with a
    /// backoff (logged once per loss), and anything else fails the source. Returns default when
    /// <paramref name="waits"/> ends a pause (a stop), or when <paramref name="abort"/> cuts the call.
    /// </summary>
    private async Task<T?> CallAsync<T>(Func<Task<T>> call, string doing, CancellationToken waits, CancellationToken abort)
    {
        var groupLost = false;
        while (!abort.IsCancellationRequested)
        {
            try
            {
                var result = await call().WaitAsync(abort).ConfigureAwait(false);
                _outage.Succeeded();
                _groupDelay = RedisOutage.FirstDelay;
                return result;
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                return default;
            }
            catch (Exception ex) when (RedisOutage.IsNoGroup(ex))
            {
                if (!groupLost)
                {
                    groupLost = true;
                    StreamLog.GroupGone(_logger, _pipeline, _name, _streamName, (string)_group!, _start);
                }

                if (!await DelayAsync(_groupDelay, waits).ConfigureAwait(false))
                {
                    return default;
                }

                _groupDelay = TimeSpan.FromTicks(Math.Min(_groupDelay.Ticks * 2, RedisOutage.MaxDelay.Ticks));
                try
                {
                    await CreateGroupAsync().WaitAsync(abort).ConfigureAwait(false);
                }
                catch (Exception again) when (RedisOutage.IsTransient(again) || again is OperationCanceledException)
                {
                    // The next attempt of the call waits it out.
                }

                _recover = true;
            }
            catch (Exception ex) when (RedisOutage.IsTransient(ex))
            {
                // A call whose reply was lost may have run: an XREADGROUP that did leaves entries
                // pending for this consumer that it never saw. They are taken up once Redis answers.
                _recover = true;
                try
                {
                    await _outage.PauseAsync(ex, doing, waits).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return default;
                }
            }
            catch (RedisException ex)
            {
                throw _outage.Fatal(ex, doing);
            }
        }

        return default;
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // A step's message could quote a connection string only by its author's doing; errors of Redis
    // itself are already worded without secrets. Kept short for the dead-letter entry.
    private static string Redact(string message) => message.Length <= 2000 ? message : message[..2000];

    private static TimeSpan Positive(NodeParameters p, string name, TimeSpan defaultValue)
    {
        var value = p.GetDuration(name) ?? defaultValue;
        if (value <= TimeSpan.Zero)
        {
            throw p.Error(name, "must be more than zero");
        }

        return value;
    }

    private static bool IsEntryId(string text)
    {
        var dash = text.IndexOf('-');
        var ms = dash < 0 ? text : text[..dash];
        return ulong.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out _)
               && (dash < 0 || ulong.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _));
    }

    private static int CompareIds(string a, string b)
    {
        static (ulong Ms, ulong Seq) Split(string id)
        {
            var dash = id.IndexOf('-');
            return (ulong.Parse(id.AsSpan(0, dash), CultureInfo.InvariantCulture), ulong.Parse(id.AsSpan(dash + 1), CultureInfo.InvariantCulture));
        }

        return Split(a).CompareTo(Split(b));
    }

    /// <summary>One batch as formed: its identity, manifest name, entry ids in order, records, and how often its entries were delivered.</summary>
    private sealed record Formed(BatchId Id, string Name, RedisValue[] Ids, Record[] Records, long Deliveries);

    private sealed class Receipt(RedisStreamSource source, Formed batch) : IBatchReceipt
    {
        private int _heard;

        public bool HandlesFailures => true;

        public void Written() => source.Written(batch);

        public void Completed()
        {
            if (Interlocked.Exchange(ref _heard, 1) == 0)
            {
                source.Completed(batch);
            }
        }

        public void Failed(Exception error)
        {
            if (Interlocked.Exchange(ref _heard, 1) == 0)
            {
                source.Failed(batch, error);
            }
        }
    }
}
