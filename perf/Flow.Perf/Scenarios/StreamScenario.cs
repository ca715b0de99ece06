using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Flow.Perf.Scenarios;

/// <summary>Sizes of scenario (s); <paramref name="Records"/> null means the default (200,000, or 20,000 with --quick).</summary>
/// <param name="Configs">Which configurations run (interleaved): 1 (one worker, no cache: <c>Flow:Cache:Store=None</c>), 2 (two workers, no cache), 1r (one worker, a refresh: <c>--use-cache=false</c>, results still written to Redis), c / 2c (Redis cache, cold), cf (File), cm (Memory), h (the hand-written StackExchange.Redis consumer of perf/Baselines/StreamBaseline, two loops); "@base" runs one with <paramref name="BaselineDll"/>.</param>
internal sealed record StreamSizes(long? Records, int BatchSize, string MaxBatchDelay, int Runs, string Configs, string? FlowDll, string? BaselineDll = null, string? HandWrittenDll = null);

/// <summary>
/// (s) messages per second through RedisStream -> Compute -> RedisStream, whole process: real
/// <c>flow</c> processes (the worker's Release build), one worker or two in one consumer group.
/// Each run gets a fresh input stream, group, sink stream (and cache prefix), filled with pipelined
/// XADD before the clock starts; the clock runs from starting the processes to the last one's exit;
/// then the sink stream must hold each id exactly once, or the scenario fails.
/// </summary>
internal static class StreamScenario
{
    // Pseudo-stores of a configuration: a refresh (lookups off, results written to Redis), and the hand-written baseline.
    private const string Refresh = "(refresh)";
    private const string HandWritten = "(hand-written)";

    /// <summary>The hand-written consumer's build, next to Flow.Perf's.</summary>
    public static string HandWrittenDll => RepoPaths.Baseline("StreamBaseline", "Flow.Perf.StreamBaseline");

    public static async Task RunAsync(ScenarioOptions options, string redis, List<Series> series, List<TargetResult> targets, List<string> notes)
    {
        var s = options.Stream;
        var count = s.Records ?? (options.Quick ? 20_000L : 200_000L);
        var flowDll = s.FlowDll ?? Path.Combine(Path.GetDirectoryName(RepoPaths.PerfFolder)!, "src", "Flow.Worker", "bin", "Release", "net10.0", "flow.dll");
        if (!File.Exists(flowDll))
        {
            throw new InvalidOperationException($"(s) needs the worker's Release build at {flowDll}: run `dotnet build src/Flow.Worker -c Release` first (or give --flow PATH)");
        }

        // A configuration: workers (1 or 2), cache off or cold on a store (c: Redis, cf: File, cm: Memory),
        // and "@base" for the flow build given by --s-baseline (e.g. one from before a change).
        var configs = s.Configs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(key =>
            {
                var noSpin = key.EndsWith("+nospin", StringComparison.Ordinal);
                var c0 = noSpin ? key[..^"+nospin".Length] : key;
                var baseline = c0.EndsWith("@base", StringComparison.Ordinal);
                var c = baseline ? c0[..^"@base".Length] : c0;
                if (c == "h")
                {
                    return (Key: key, Workers: 1, Store: (string?)HandWritten, Dll: s.HandWrittenDll ?? HandWrittenDll, Name: "hand-written StackExchange.Redis consumer (2 loops)", NoSpin: false);
                }

                var workers = c.StartsWith('2') ? 2 : 1;
                var rest = c.TrimStart('1', '2');
                string? store = rest switch
                {
                    "" => null,
                    "r" => Refresh,
                    "c" => "Redis",
                    "cf" => "File",
                    "cm" => "Memory",
                    _ => throw new ArgumentException($"--s-configs: unknown configuration '{key}' (1, 2, 1r, c, 2c, cf, cm, h; any but h with @base and/or +nospin)"),
                };
                var dll = baseline ? s.BaselineDll ?? throw new ArgumentException($"--s-configs {key} needs --s-baseline PATH/flow.dll") : flowDll;
                var cache = store switch
                {
                    null => "no cache",
                    Refresh => "refresh (--use-cache=false)",
                    _ => $"cache on ({store}, cold)",
                };
                var name = $"{workers} worker{(workers > 1 ? "s (one group)" : "")}, {cache}{(baseline ? ", baseline build" : "")}{(noSpin ? ", thread pool spin limit 0" : "")}";
                return (Key: key, Workers: workers, Store: store, Dll: dll, Name: name, NoSpin: noSpin);
            }).ToList();
        if (configs.FirstOrDefault(c => !File.Exists(c.Dll)) is { Dll: { } missing })
        {
            throw new InvalidOperationException($"(s) no flow build at {missing}");
        }

        Console.WriteLine($"(s) streams: {count:N0} entries, RedisStream -> Compute -> RedisStream, BatchSize {s.BatchSize}, MaxBatchDelay {s.MaxBatchDelay}, " +
                          $"flow processes from {flowDll}; 1 warm-up + {s.Runs} runs each, interleaved ({string.Join(", ", configs.Select(c => c.Name))})");

        var options2 = ConfigurationOptions.Parse(redis);
        options2.AbortOnConnectFail = false;
        options2.AllowAdmin = true; // INFO cpu: what redis-server spent on each run
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options2).ConfigureAwait(false);
        var db = connection.GetDatabase();
        var folder = Directory.CreateTempSubdirectory("flow-perf-s-");
        var all = configs.Select(c => new Series("s", $"{c.Name}, BatchSize {s.BatchSize}", count)).ToList();
        var loads = new List<string>();
        try
        {
            for (var i = 0; i <= s.Runs; i++)
            {
                var line = new StringBuilder($"    run {i}{(i == 0 ? " (warm-up)" : "")}:");
                for (var c = 0; c < configs.Count; c++)
                {
                    var config = configs[c];
                    var run = $"flowperf-s-{Guid.NewGuid():N}";
                    var outcome = await OneRunAsync(db, redis, folder.FullName, config.Dll, run, count, s, config.Workers, config.Store, config.NoSpin).ConfigureAwait(false);
                    if (i > 0)
                    {
                        all[c].Add(outcome);
                    }

                    line.Append(CultureInfo.InvariantCulture, $" [{config.Key}] {outcome.Seconds:F2} s ({count / outcome.Seconds:N0}/s, CPU {outcome.CpuSeconds:F1} s, redis {outcome.ServerCpu:F1} s)");
                    await DeleteRunKeysAsync(connection, db, run).ConfigureAwait(false);
                }

                loads.Add(LoadAverage());
                Console.WriteLine(line.Append(" load ").Append(LoadAverage()));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        series.AddRange(all);
        var one = configs.FindIndex(x => x.Key == "1");
        var two = configs.FindIndex(x => x.Key == "2");
        if (one >= 0)
        {
            targets.Add(new TargetResult("(s)", "messages/s, one worker, no cache", all[one].RecordsPerSecond, "/s", 100_000, false,
                $"median {all[one].Median:F2} s for {count:N0} entries (spread {all[one].Best:F2}–{all[one].Worst:F2}); workers' CPU {all[one].MedianCpu:F1} s, redis-server CPU {Median(all[one].ServerCpu):F1} s"));
        }

        var hand = configs.FindIndex(x => x.Key == "h");
        if (one >= 0 && hand >= 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"(s) one Flow worker (no cache) vs the hand-written consumer: {all[one].RecordsPerSecond:N0} vs {all[hand].RecordsPerSecond:N0} messages/s = {all[one].Median / all[hand].Median:F2}x the time; CPU {all[one].MedianCpu:F1} s vs {all[hand].MedianCpu:F1} s, redis-server CPU {Median(all[one].ServerCpu):F1} s vs {Median(all[hand].ServerCpu):F1} s"));
        }

        var refresh = configs.FindIndex(x => x.Key == "1r");
        if (one >= 0 && refresh >= 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"(s) one worker, refresh (--use-cache=false: every batch still written to the Redis cache) vs no cache: {all[refresh].RecordsPerSecond:N0} vs {all[one].RecordsPerSecond:N0} messages/s = {all[refresh].Median / all[one].Median:F2}x the time"));
        }

        if (one >= 0 && two >= 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"(s) two workers vs one (no cache): {all[two].RecordsPerSecond:N0} vs {all[one].RecordsPerSecond:N0} messages/s = {all[two].RecordsPerSecond / all[one].RecordsPerSecond:F2}x; workers' CPU {all[two].MedianCpu:F1} s vs {all[one].MedianCpu:F1} s, redis-server CPU {Median(all[two].ServerCpu):F1} s vs {Median(all[one].ServerCpu):F1} s"));
        }

        var cold = configs.FindIndex(x => x.Key == "c");
        if (one >= 0 && cold >= 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"(s) one worker, cache on (Redis, cold) vs no cache: {all[cold].RecordsPerSecond:N0} vs {all[one].RecordsPerSecond:N0} messages/s = {all[cold].Median / all[one].Median:F2}x the time"));
        }

        foreach (var (config, index) in configs.Select((c, i) => (c, i)).Where(x => x.c.Key.EndsWith("@base", StringComparison.Ordinal)))
        {
            var current = configs.FindIndex(x => x.Key == config.Key[..^"@base".Length]);
            if (current >= 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"(s) {configs[current].Name}: this build vs the baseline build: {all[current].Median:F2} s vs {all[index].Median:F2} s = {all[current].Median / all[index].Median:F3}x the time; workers' CPU {all[current].MedianCpu:F2} s vs {all[index].MedianCpu:F2} s = {all[current].MedianCpu / all[index].MedianCpu:F3}x"));
            }
        }

        foreach (var (config, index) in configs.Select((c, i) => (c, i)).Where(x => x.c.NoSpin))
        {
            var current = configs.FindIndex(x => x.Key == config.Key[..^"+nospin".Length]);
            if (current >= 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"(s) {configs[current].Name}: spin limit 0 vs default: {all[index].Median:F2} s vs {all[current].Median:F2} s = {all[index].Median / all[current].Median:F3}x the time; workers' CPU {all[index].MedianCpu:F2} s vs {all[current].MedianCpu:F2} s = {all[index].MedianCpu / all[current].MedianCpu:F3}x"));
            }
        }

        notes.Add("(s) load averages after each round: " + string.Join("; ", loads));
    }

    /// <param name="noSpin">Runs the workers with DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 (idle thread-pool threads sleep at once).</param>
    /// <param name="store">The cache store (cold: a fresh key prefix or folder per run); <see cref="Refresh"/>: <c>--use-cache=false</c> with Redis; <see cref="HandWritten"/>: the baseline program; null: no cache (<c>Flow:Cache:Store=None</c>).</param>
    private static async Task<RunOutcome> OneRunAsync(IDatabase db, string redis, string folder, string flowDll, string run, long count, StreamSizes s, int workers, string? store, bool noSpin)
    {
        var input = run + ":in";
        var output = run + ":out";
        await FillAsync(db, input, count).ConfigureAwait(false);
        var config = Path.Combine(folder, run + ".json");
        await File.WriteAllTextAsync(config, Config(redis, run, input, output, s, store is null or Refresh or HandWritten ? "Redis" : store, Path.Combine(folder, run + "-cache"))).ConfigureAwait(false);

        var redisBefore = await RedisCpuAsync(db).ConfigureAwait(false);
        var cpuBefore = ChildrenCpu();
        var started = Stopwatch.GetTimestamp();
        var processes = new List<(Process Process, StringBuilder Err)>();
        for (var w = 1; w <= workers; w++)
        {
            processes.Add(store == HandWritten
                ? StartProcess(folder, [flowDll, redis, input, "g", output, "2"], noSpin: false)
                : Start(flowDll, folder, config, $"w{w}", store, noSpin));
        }

        foreach (var (process, _) in processes)
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = ChildrenCpu() - cpuBefore;
        var redisCpu = await RedisCpuAsync(db).ConfigureAwait(false) - redisBefore;
        foreach (var (process, err) in processes)
        {
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"(s) flow exited {process.ExitCode} ({workers} worker(s), run {run}): {err}");
            }

            process.Dispose();
        }

        await CheckEachOnceAsync(db, output, count, $"{workers} worker(s), cache {store ?? "none"}, run {run}").ConfigureAwait(false);
        return new RunOutcome(elapsed, cpu, count, count, 0, 0, 0) { ServerCpu = redisCpu };
    }

    /// <summary>used_cpu_user + used_cpu_sys of the Redis server (INFO cpu), seconds.</summary>
    private static async Task<double> RedisCpuAsync(IDatabase db)
    {
        var info = (string?)await db.ExecuteAsync("INFO", "cpu").ConfigureAwait(false) ?? "";
        var total = 0.0;
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("used_cpu_user:", StringComparison.Ordinal) || line.StartsWith("used_cpu_sys:", StringComparison.Ordinal))
            {
                total += double.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private static string Config(string redis, string run, string input, string output, StreamSizes s, string store, string cacheFolder)
    {
        static string Q(string value) => JsonSerializer.Serialize(value);
        return $$"""
            {
              "Logging": { "LogLevel": { "Default": "Warning" } },
              "Flow": {
                "Cache": { "Store": {{Q(store)}}, "Redis": {{Q(redis)}}, "KeyPrefix": {{Q(run + ":cache:")}}, "Path": {{Q(cacheFolder)}} },
                "Pipelines": {
                  "p": {
                    "BatchSize": {{s.BatchSize}},
                    "Sources": [ { "Name": "in", "Type": "RedisStream", "Params": {
                      "Stream": {{Q(input)}}, "Group": "g", "Consumer": "w1", "Redis": {{Q(redis)}},
                      "StopWhenDrained": true, "MaxBatchDelay": {{Q(s.MaxBatchDelay)}} } } ],
                    "Steps": [ { "Name": "double", "Type": "Compute", "Params": { "Set": { "w": "v * 2" } } } ],
                    "Sinks": [ { "Name": "out", "Type": "RedisStream", "Params": { "Stream": {{Q(output)}}, "Redis": {{Q(redis)}} } } ]
                  }
                }
              }
            }
            """;
    }

    private static (Process, StringBuilder) Start(string flowDll, string folder, string config, string consumer, string? store, bool noSpin)
    {
        List<string> args = [flowDll, "run", "--config", config, $"--Flow:Pipelines:p:Sources:0:Params:Consumer={consumer}"];
        if (store is null)
        {
            args.Add("--Flow:Cache:Store=None");
        }
        else if (store == Refresh)
        {
            args.Add("--use-cache=false");
        }

        return StartProcess(folder, args, noSpin);
    }

    private static (Process, StringBuilder) StartProcess(string folder, IEnumerable<string> args, bool noSpin)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("FLOW_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Flow__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        if (noSpin)
        {
            start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        }

        var err = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet " + string.Join(" ", start.ArgumentList));
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (err)
                {
                    err.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, err);
    }

    /// <summary>Entries <c>{"id": i, "v": i % 7}</c> for i in [0, count), XADD pipelined 5,000 at a time.</summary>
    private static async Task FillAsync(IDatabase db, string stream, long count)
    {
        var pending = new List<Task>(5000);
        for (var i = 0L; i < count; i++)
        {
            pending.Add(db.StreamAddAsync(stream, "data", string.Create(CultureInfo.InvariantCulture, $$"""{"id":{{i}},"v":{{i % 7}}}""")));
            if (pending.Count == 5000)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary>The sink stream must hold exactly <paramref name="count"/> entries, ids 0..count-1 each once, each with w = 2v.</summary>
    private static async Task CheckEachOnceAsync(IDatabase db, string stream, long count, string what)
    {
        var seen = new bool[count];
        long entries = 0, duplicates = 0, wrong = 0;
        RedisValue from = "-";
        while (true)
        {
            var page = await db.StreamRangeAsync(stream, from, "+", 10_000).ConfigureAwait(false);
            foreach (var entry in page)
            {
                entries++;
                using var record = JsonDocument.Parse((string)entry["data"]!);
                var id = record.RootElement.GetProperty("id").GetInt64();
                if (id < 0 || id >= count || record.RootElement.GetProperty("w").GetInt64() != 2 * (id % 7))
                {
                    wrong++;
                }
                else if (seen[id])
                {
                    duplicates++;
                }
                else
                {
                    seen[id] = true;
                }
            }

            if (page.Length < 10_000)
            {
                break;
            }

            from = "(" + (string)page[^1].Id!;
        }

        var missing = seen.LongCount(x => !x);
        if (entries != count || duplicates != 0 || wrong != 0 || missing != 0)
        {
            throw new InvalidOperationException($"(s) {what}: the sink stream holds {entries:N0} entries for {count:N0} input entries ({duplicates} duplicates, {missing} missing, {wrong} wrong)");
        }
    }

    private static async Task DeleteRunKeysAsync(ConnectionMultiplexer connection, IDatabase db, string run)
    {
        foreach (var server in connection.GetServers())
        {
            var batch = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(pattern: "*" + run + "*", pageSize: 5000).ConfigureAwait(false))
            {
                batch.Add(key);
                if (batch.Count == 5000)
                {
                    await db.KeyDeleteAsync(batch.ToArray()).ConfigureAwait(false);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await db.KeyDeleteAsync(batch.ToArray()).ConfigureAwait(false);
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>CPU time (user + system) of this process's children that were waited for: the flow processes.</summary>
    internal static TimeSpan ChildrenCpu()
    {
        if (!OperatingSystem.IsLinux() || GetRusage(-1 /* RUSAGE_CHILDREN */, out var usage) != 0)
        {
            return TimeSpan.Zero;
        }

        return TimeSpan.FromMicroseconds(usage.UserSec * 1e6 + usage.UserMicros + usage.SystemSec * 1e6 + usage.SystemMicros);
    }

    // struct rusage on 64-bit Linux: two timevals, then 14 longs (144 bytes).
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct RUsage
    {
        public long UserSec;
        public long UserMicros;
        public long SystemSec;
        public long SystemMicros;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRusage(int who, out RUsage usage);
}
