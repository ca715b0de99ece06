using System.Diagnostics;
using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace Flow.Perf.Baselines;

/// <summary>
/// Baseline of scenario (s) of <c>Flow.Perf all</c>: the stream work written by hand with
/// StackExchange.Redis and nothing else, the smallest program that keeps the same promises on the
/// happy path. <paramref name="Loops"/> loops in one consumer group each read 1,000 new entries
/// (XREADGROUP), parse each entry's <c>data</c> as JSON, set <c>w = v * 2</c>, add the batch to the
/// sink stream with one script that checks and sets a per-batch marker (the exactly-once part) and
/// acknowledge the batch (XACK), until a read comes back empty. No manifests, no keep-alive, no
/// reclaim, no dead letters, no outage handling: what Flow adds on top of this is the difference.
/// </summary>
/// <remarks>Usage: <c>Flow.Perf.StreamBaseline REDIS IN-STREAM GROUP OUT-STREAM LOOPS</c>; prints "entries seconds".</remarks>
public static class Program
{
    private const int BatchSize = 1000;

    private const string AddOnce = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
        for i = 2, #ARGV do redis.call('XADD', KEYS[1], '*', 'data', ARGV[i]) end
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
        return #ARGV - 1
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 5 || !int.TryParse(args[4], out var loops) || loops < 1)
        {
            await Console.Error.WriteLineAsync("usage: Flow.Perf.StreamBaseline REDIS IN-STREAM GROUP OUT-STREAM LOOPS").ConfigureAwait(false);
            return 2;
        }

        var (redis, input, group, output) = (args[0], args[1], args[2], args[3]);
        var started = Stopwatch.GetTimestamp();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis).ConfigureAwait(false);
        var db = connection.GetDatabase();
        try
        {
            await db.StreamCreateConsumerGroupAsync(input, group, "0").ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // made by another process of the same run
        }

        long entries = 0;
        var batches = 0;
        async Task LoopAsync(string consumer)
        {
            while (true)
            {
                var read = await db.StreamReadGroupAsync(input, group, consumer, StreamPosition.NewMessages, BatchSize).ConfigureAwait(false);
                if (read.Length == 0)
                {
                    return;
                }

                var values = new RedisValue[read.Length + 1];
                values[0] = 86_400_000;
                for (var i = 0; i < read.Length; i++)
                {
                    var record = JsonNode.Parse((byte[])read[i]["data"]!)!.AsObject();
                    record["w"] = (long)record["v"]! * 2;
                    values[i + 1] = record.ToJsonString();
                }

                var marker = $"{output}:marker:{read[0].Id}";
                await db.ScriptEvaluateAsync(AddOnce, [output, marker], values).ConfigureAwait(false);
                await db.StreamAcknowledgeAsync(input, group, read.Select(e => e.Id).ToArray()).ConfigureAwait(false);
                Interlocked.Add(ref entries, read.Length);
                Interlocked.Increment(ref batches);
            }
        }

        await Task.WhenAll(Enumerable.Range(1, loops).Select(i => Task.Run(() => LoopAsync("c" + i)))).ConfigureAwait(false);
        Console.WriteLine($"{entries} {Stopwatch.GetElapsedTime(started).TotalSeconds:F3}");
        return 0;
    }
}
