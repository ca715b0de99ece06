using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Flow.Batches;
using Flow.Caching;
using Flow.Hosting.Building;
using Flow.Parameters;
using Flow.Serialization;
using Flow.Sources.BuiltIn;

namespace Flow.Perf.Scenarios;

/// <param name="Only">Scenarios to run: a, b, c, d by default; e (write-behind) only when named.</param>
/// <param name="WriteBehind">The sizes of (e): records, BatchSize and the step's cost a record.</param>
/// <param name="Stream">The sizes of (s): entries, BatchSize, MaxBatchDelay, runs, configurations, the worker's flow.dll.</param>
internal sealed record ScenarioOptions(IReadOnlySet<string> Only, string? Redis, string? Out, bool Quick, WriteBehindSizes WriteBehind, StreamSizes Stream)
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a", "b", "c", "d", "e", "s" };

    public static ScenarioOptions Parse(string[] args)
    {
        var only = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a", "b", "c", "d" };
        string? redis = null, output = null;
        var quick = false;
        var sizes = new WriteBehindSizes(null, 100, 2);
        var stream = new StreamSizes(null, 1000, "50ms", 3, "1,2,c", null);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--only":
                    only = new HashSet<string>(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
                    break;
                case "--redis":
                    redis = args[++i];
                    break;
                case "--out":
                    output = args[++i];
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--e-records":
                    sizes = sizes with { Records = Whole(args, ++i, 1) };
                    break;
                case "--e-batch":
                    sizes = sizes with { BatchSize = (int)Whole(args, ++i, 1) };
                    break;
                case "--e-micros":
                    sizes = sizes with { Micros = (int)Whole(args, ++i, 0) };
                    break;
                case "--s-records":
                    stream = stream with { Records = Whole(args, ++i, 1) };
                    break;
                case "--s-batch":
                    stream = stream with { BatchSize = (int)Whole(args, ++i, 1) };
                    break;
                case "--s-runs":
                    stream = stream with { Runs = (int)Whole(args, ++i, 1) };
                    break;
                case "--s-delay":
                    stream = stream with { MaxBatchDelay = args[++i] };
                    break;
                case "--s-configs":
                    stream = stream with { Configs = args[++i] };
                    break;
                case "--flow":
                    stream = stream with { FlowDll = Path.GetFullPath(args[++i]) };
                    break;
                case "--s-baseline":
                    stream = stream with { BaselineDll = Path.GetFullPath(args[++i]) };
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        if (only.FirstOrDefault(o => !Known.Contains(o)) is { } unknown)
        {
            throw new ArgumentException($"unknown scenario '{unknown}' (a, b, c, d, e, s)");
        }

        // (c) compares against (b)'s cold runs: running one runs both.
        if (only.Contains("b") || only.Contains("c"))
        {
            only.Add("b");
            only.Add("c");
        }

        return new ScenarioOptions(only, redis, output, quick, sizes, stream);
    }

    private static long Whole(string[] args, int i, long min) =>
        i < args.Length && long.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new ArgumentException($"'{args[i - 1]}' takes a whole number >= {min}");
}

/// <summary>Sizes of scenario (e); <paramref name="Records"/> null means the default (100,000, or 20,000 with --quick).</summary>
internal sealed record WriteBehindSizes(long? Records, int BatchSize, int Micros);

/// <summary>
/// Runs the DESIGN.md performance scenarios in one process, each configuration a few times after a
/// warm-up, interleaved so drift on a shared machine hits both sides of a ratio alike.
/// </summary>
internal static class ScenarioRunner
{
    private const int Seed = 42;

    // Flights-like records for (b)-(d): five fields of the usual kinds.
    private static readonly object WideFields = new Dictionary<string, string>
    {
        ["id"] = "seq", ["value"] = "double", ["code"] = "string", ["n"] = "int", ["flag"] = "bool",
    };

    public static async Task<int> RunAsync(ScenarioOptions options)
    {
        Console.WriteLine($"Flow.Perf scenarios — {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, " +
                          $"{RuntimeInformation.OSDescription}, load average {LoadAverage()}, GC {(GCSettings.IsServerGC ? "server" : "workstation")}{(GCSettings.LatencyMode == GCLatencyMode.Interactive ? " concurrent" : "")}{(options.Quick ? ", QUICK sizes (not for the record)" : "")}");
        var harness = new Harness();
        var series = new List<Series>();
        var targets = new List<TargetResult>();
        var notes = new List<string>();

        RedisServer? ownRedis = null;
        var redis = options.Redis;
        if (redis is null && (options.Only.Contains("b") || options.Only.Contains("d") || options.Only.Contains("e") || options.Only.Contains("s")))
        {
            ownRedis = await RedisServer.StartAsync().ConfigureAwait(false);
            redis = ownRedis.Configuration;
            Console.WriteLine($"started redis-server on {redis} (stopped at the end)");
        }

        try
        {
            if (options.Only.Contains("a"))
            {
                await OverheadAsync(harness, options, series, targets, notes).ConfigureAwait(false);
            }

            if (options.Only.Contains("b"))
            {
                await ColdWarmAsync(harness, options, redis!, series, targets, notes).ConfigureAwait(false);
            }

            if (options.Only.Contains("d"))
            {
                await ReplayAsync(harness, options, redis!, series, targets, notes).ConfigureAwait(false);
            }

            if (options.Only.Contains("e"))
            {
                await WriteBehindAsync(harness, options, redis!, series, notes).ConfigureAwait(false);
            }

            if (options.Only.Contains("s"))
            {
                await StreamScenario.RunAsync(options, redis!, series, targets, notes).ConfigureAwait(false);
            }
        }
        finally
        {
            ownRedis?.Dispose();
        }

        var report = new StringBuilder();
        report.AppendLine().AppendLine("## Runs").AppendLine().Append(Report.SeriesTable(series));
        if (targets.Count > 0)
        {
            report.AppendLine().AppendLine("## Targets").AppendLine().Append(Report.TargetTable(targets));
        }

        if (notes.Count > 0)
        {
            report.AppendLine().AppendLine("## Notes").AppendLine();
            foreach (var note in notes)
            {
                report.AppendLine("- " + note);
            }
        }

        report.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"load average at the end: {LoadAverage()}");
        Console.WriteLine(report);

        var output = options.Out ?? Path.Combine(RepoPaths.PerfFolder, "scenario-results.json");
        var document = new
        {
            date = DateTimeOffset.Now,
            cores = Environment.ProcessorCount,
            runtime = RuntimeInformation.FrameworkDescription,
            quick = options.Quick,
            loadAverage = LoadAverage(),
            runs = series.Select(s => new { s.Scenario, s.Name, s.Records, s.Seconds, s.Median, s.Best, s.Worst, s.RecordsPerSecond, s.CpuSeconds, s.MedianCpu, s.RecordsPerCpuSecond }),
            targets = targets.Select(t => new { t.Id, t.Description, t.Value, t.Bound, atMost = t.AtMost, t.Pass, t.Detail }),
            notes,
        };
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
        Console.WriteLine($"numbers written to {output}");
        return 0;
    }

    /// <summary>(a) Generate → Filter → Compute → count through Flow (no step cache) vs the same on hand-written Dataflow.</summary>
    internal static async Task OverheadAsync(Harness harness, ScenarioOptions options, List<Series> series, List<TargetResult> targets, List<string> notes)
    {
        var count = options.Quick ? 200_000L : 2_000_000L;
        const int batchSize = 500;
        const int runs = 5;
        Console.WriteLine($"(a) overhead: {count:N0} records, BatchSize {batchSize}, 1 warm-up + {runs} runs each, interleaved");

        void Nodes(PipelineBuilder p) => p
            .Source("gen", "Generate", new { Count = count, Seed })
            .Step("filter", "Filter", new { Where = "value > 500" })
            .Step("compute", "Compute", new { Set = new Dictionary<string, string> { ["scaled"] = "value * 2" } });

        var flow = new Series("a", "Flow, no cache (Filter/Compute expressions)", count);
        var hand = new Series("a", "hand-written TPL Dataflow (same logic in C#)", count);
        for (var i = 0; i <= runs; i++)
        {
            var f = await harness.RunAsync("overhead", batchSize, Nodes, null).ConfigureAwait(false);
            var (h, kept) = await RunOutcome.TimeAsync(() => HandWritten.RunAsync(count, Seed, batchSize), count).ConfigureAwait(false);
            if (kept != f.SinkRecords)
            {
                throw new InvalidOperationException($"(a) Flow kept {f.SinkRecords} records, the hand-written pipeline {kept}");
            }

            if (i > 0)
            {
                flow.Add(f);
                hand.Add(h);
            }

            Console.WriteLine($"    run {i}{(i == 0 ? " (warm-up)" : "")}: Flow {f.Seconds:F3} s, hand-written {h.Seconds:F3} s ({kept:N0} records kept)");
            Collect();
        }

        series.Add(flow);
        series.Add(hand);
        targets.Add(new TargetResult("(a)", "overhead, cache off vs hand-written Dataflow", flow.Median / hand.Median, "x", 1.0, true,
            $"median {flow.Median:F3} s vs {hand.Median:F3} s; {flow.RecordsPerSecond:N0} vs {hand.RecordsPerSecond:N0} records/s; CPU {flow.MedianCpu:F3} s vs {hand.MedianCpu:F3} s ({flow.MedianCpu / hand.MedianCpu:F2}x)"));
        notes.Add(await OverheadPhasesAsync(count / 4, batchSize).ConfigureAwait(false));
    }

    /// <summary>(b) cold run with the cache on vs off, step ~50 µs a record; (c) warm (all hits) vs cold.</summary>
    internal static async Task ColdWarmAsync(Harness harness, ScenarioOptions options, string redis, List<Series> series, List<TargetResult> targets, List<string> notes)
    {
        var count = options.Quick ? 4_000L : 40_000L;
        const int batchSize = 500;
        const int micros = 50;
        const int runs = 3;
        Console.WriteLine($"(b, c) cold/warm: {count:N0} records, Spin {micros} µs a record, BatchSize {batchSize}, 1 warm-up + {runs} runs each");

        void Nodes(PipelineBuilder p) => p
            .Source("gen", "Generate", new { Count = count, Seed, Fields = WideFields })
            .Step("spin", "Spin", new { Micros = micros });

        var off = new Series("b", "cache off (no step cache)", count);
        var fileCold = new Series("b", "cache on, cold, File store", count);
        var redisCold = new Series("b", "cache on, cold, Redis store", count);
        var fileWarm = new Series("c", "cache on, warm (all hits), File store", count);
        var redisWarm = new Series("c", "cache on, warm (all hits), Redis store", count);
        var redisNoLeases = new Series("b", "cache on, cold, Redis store without leases", count);
        var noLeasesWarm = new Series("c", "cache on, warm, Redis store without leases", count);
        var batches = (count + batchSize - 1) / batchSize;

        for (var i = 0; i <= runs; i++)
        {
            var o = await harness.RunAsync("spin", batchSize, Nodes, null).ConfigureAwait(false);
            var line = new StringBuilder($"    run {i}{(i == 0 ? " (warm-up)" : "")}: off {o.Seconds:F3} s");
            if (i > 0)
            {
                off.Add(o);
            }

            foreach (var (cold, warm, open) in new (Series, Series, Func<Task<CacheUnderTest>>)[]
                     {
                         (fileCold, fileWarm, CacheUnderTest.FileAsync),
                         (redisCold, redisWarm, () => CacheUnderTest.RedisAsync(redis)),
                         (redisNoLeases, noLeasesWarm, () => CacheUnderTest.RedisWithoutLeasesAsync(redis)),
                     })
            {
                await using var cache = await open().ConfigureAwait(false);
                var c = await harness.RunAsync("spin", batchSize, Nodes, cache.Cache).ConfigureAwait(false);
                var w = await harness.RunAsync("spin", batchSize, Nodes, cache.Cache).ConfigureAwait(false);
                Expect(c, hits: 0, misses: batches, count, $"(b) {cache.Label} cold");
                Expect(w, hits: batches, misses: 0, count, $"(c) {cache.Label} warm");
                if (i > 0)
                {
                    cold.Add(c);
                    warm.Add(w);
                }

                line.Append(CultureInfo.InvariantCulture, $", {cache.Label} cold {c.Seconds:F3} s / warm {w.Seconds:F3} s");
            }

            Console.WriteLine(line);
            Collect();
        }

        series.AddRange([off, fileCold, redisCold, fileWarm, redisWarm, redisNoLeases]);
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"(b) the lease's cost on a cold run (Redis): with leases {redisCold.Median:F3} s vs without {redisNoLeases.Median:F3} s = {redisCold.Median / redisNoLeases.Median:F3}x the time; CPU {redisCold.MedianCpu:F3} s vs {redisNoLeases.MedianCpu:F3} s = {redisCold.MedianCpu / redisNoLeases.MedianCpu:F3}x"));
        foreach (var (cold, label) in new[] { (fileCold, "File"), (redisCold, "Redis") })
        {
            targets.Add(new TargetResult("(b)", $"cold run, cache on ({label}) vs off, 50 µs/record step", cold.Median / off.Median, "x", 1.05, true,
                $"median {cold.Median:F3} s vs {off.Median:F3} s (spread {cold.Best:F3}–{cold.Worst:F3} vs {off.Best:F3}–{off.Worst:F3}); CPU {cold.MedianCpu:F3} s vs {off.MedianCpu:F3} s ({cold.MedianCpu / off.MedianCpu:F3}x)"));
        }

        foreach (var (cold, warm, label) in new[] { (fileCold, fileWarm, "File"), (redisCold, redisWarm, "Redis") })
        {
            targets.Add(new TargetResult("(c)", $"warm vs cold ({label})", cold.Median / warm.Median, "x", 20, false,
                $"median cold {cold.Median:F3} s / warm {warm.Median:F3} s (warm spread {warm.Best:F3}–{warm.Worst:F3}); CPU {cold.MedianCpu:F3} s / {warm.MedianCpu:F3} s ({cold.MedianCpu / warm.MedianCpu:F1}x)"));
        }
    }

    /// <summary>(d) end-to-end replay throughput of a warm run (every step a hit), Redis and File.</summary>
    internal static async Task ReplayAsync(Harness harness, ScenarioOptions options, string redis, List<Series> series, List<TargetResult> targets, List<string> notes)
    {
        var count = options.Quick ? 200_000L : 2_000_000L;
        const int batchSize = 1000;
        const int runs = 3;
        Console.WriteLine($"(d) replay: {count:N0} records (5 fields), Generate → Compute (cached) → count, BatchSize {batchSize}, 1 warm-up + {runs} warm runs");

        // A Compute is cheaper to compute than to replay, so Flow would stop caching it after the first
        // warm run; what is measured here is the replay itself, so caching is forced (UseCache: true).
        void Nodes(PipelineBuilder p) => p
            .Source("gen", "Generate", new { Count = count, Seed, Fields = WideFields })
            .Step("compute", "Compute", new { Set = new Dictionary<string, string> { ["total"] = "value * n" } }, new StepOptions { UseCache = true });

        // Same step signature (Parallelism is not part of it), so it replays the same entries.
        void Parallel2(PipelineBuilder p) => p
            .Source("gen", "Generate", new { Count = count, Seed, Fields = WideFields })
            .Step("compute", "Compute", new { Set = new Dictionary<string, string> { ["total"] = "value * n" } }, new StepOptions { Parallelism = 2, UseCache = true });

        var batches = (count + batchSize - 1) / batchSize;
        var off = new Series("d", "cache off (reference: source + Compute)", count);
        for (var i = 0; i <= runs; i++)
        {
            var o = await harness.RunAsync("replay", batchSize, Nodes, null).ConfigureAwait(false);
            if (i > 0)
            {
                off.Add(o);
            }
        }

        Console.WriteLine($"    cache off: median {off.Median:F3} s ({off.RecordsPerSecond:N0} records/s)");
        series.Add(off);

        foreach (var open in new Func<Task<CacheUnderTest>>[] { () => CacheUnderTest.RedisAsync(redis), CacheUnderTest.FileAsync })
        {
            await using var cache = await open().ConfigureAwait(false);
            var cold = new Series("d", $"cold (populating), {cache.Label}", count);
            var warm = new Series("d", $"warm replay (all hits), {cache.Label}", count);
            var c = await harness.RunAsync("replay", batchSize, Nodes, cache.Cache).ConfigureAwait(false);
            Expect(c, 0, batches, count, $"(d) {cache.Label} cold");
            cold.Add(c);
            var line = new StringBuilder().Append(CultureInfo.InvariantCulture, $"    {cache.Label}: cold {c.Seconds:F3} s, warm");
            Collect();
            for (var i = 0; i <= runs; i++)
            {
                var w = await harness.RunAsync("replay", batchSize, Nodes, cache.Cache).ConfigureAwait(false);
                Expect(w, batches, 0, count, $"(d) {cache.Label} warm");
                if (i > 0)
                {
                    warm.Add(w);
                }

                line.Append(CultureInfo.InvariantCulture, $" {w.Seconds:F3}{(i == 0 ? " (warm-up)" : "")}");
                Collect();
            }

            var parallel = new Series("d", $"warm replay (all hits), {cache.Label}, step Parallelism 2", count);
            line.Append("; Parallelism 2:");
            for (var i = 0; i < runs; i++)
            {
                var w = await harness.RunAsync("replay", batchSize, Parallel2, cache.Cache).ConfigureAwait(false);
                Expect(w, batches, 0, count, $"(d) {cache.Label} warm, Parallelism 2");
                parallel.Add(w);
                line.Append(CultureInfo.InvariantCulture, $" {w.Seconds:F3}");
                Collect();
            }

            Console.WriteLine(line);
            series.Add(cold);
            series.Add(warm);
            series.Add(parallel);
            if (cache.Label == "Redis")
            {
                targets.Add(new TargetResult("(d)", "replay throughput from Redis (records/s, end to end)", warm.RecordsPerSecond, "", 2_000_000, false,
                    $"{count:N0} records, BatchSize {batchSize}, median {warm.Median:F3} s (spread {warm.Best:F3}–{warm.Worst:F3}); {warm.RecordsPerCpuSecond:N0} records per CPU-second"));
            }
            else
            {
                targets.Add(new TargetResult("(d')", "replay throughput from File (records/s, no DESIGN target; same bound shown)", warm.RecordsPerSecond, "", 2_000_000, false,
                    $"{count:N0} records, BatchSize {batchSize}, median {warm.Median:F3} s (spread {warm.Best:F3}–{warm.Worst:F3})"));
            }

            notes.AddRange(await PhasesAsync(cache, batchSize, options.Quick ? 50 : 200).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// (e) cold runs where the store's writes, not the step, are the cost: many small batches and a
    /// cheap step, so each miss's SET round trip is comparable to the step's work on the batch. Cache
    /// off vs cold File and cold Redis, each cold run on a new, empty store, interleaved. No DESIGN.md
    /// target: it shows what a miss costs when its write is on (or off) the batch's path.
    /// </summary>
    private static async Task WriteBehindAsync(Harness harness, ScenarioOptions options, string redis, List<Series> series, List<string> notes)
    {
        var sizes = options.WriteBehind;
        var count = sizes.Records ?? (options.Quick ? 20_000L : 100_000L);
        var batchSize = sizes.BatchSize;
        var micros = sizes.Micros;
        const int runs = 5;
        var batches = (count + batchSize - 1) / batchSize;
        Console.WriteLine($"(e) write-behind: {count:N0} records (5 fields), Spin {micros} µs a record, BatchSize {batchSize} ({batches:N0} misses a cold run), 1 warm-up + {runs} runs each, interleaved");

        void Nodes(PipelineBuilder p) => p
            .Source("gen", "Generate", new { Count = count, Seed, Fields = WideFields })
            .Step("spin", "Spin", new { Micros = micros });

        var off = new Series("e", $"cache off, BatchSize {batchSize}, Spin {micros} µs", count);
        var fileCold = new Series("e", $"cache on, cold, File store, BatchSize {batchSize}, Spin {micros} µs", count);
        var redisCold = new Series("e", $"cache on, cold, Redis store, BatchSize {batchSize}, Spin {micros} µs", count);
        for (var i = 0; i <= runs; i++)
        {
            var o = await harness.RunAsync("writes", batchSize, Nodes, null).ConfigureAwait(false);
            var line = new StringBuilder($"    run {i}{(i == 0 ? " (warm-up)" : "")}: off {o.Seconds:F3} s");
            if (i > 0)
            {
                off.Add(o);
            }

            foreach (var (cold, open) in new (Series, Func<Task<CacheUnderTest>>)[] { (fileCold, CacheUnderTest.FileAsync), (redisCold, () => CacheUnderTest.RedisAsync(redis)) })
            {
                await using var cache = await open().ConfigureAwait(false);
                var c = await harness.RunAsync("writes", batchSize, Nodes, cache.Cache).ConfigureAwait(false);
                Expect(c, hits: 0, misses: batches, count, $"(e) {cache.Label} cold");
                if (i > 0)
                {
                    cold.Add(c);
                }

                line.Append(CultureInfo.InvariantCulture, $", {cache.Label} cold {c.Seconds:F3} s");
            }

            Console.WriteLine(line);
            Collect();
        }

        series.AddRange([off, fileCold, redisCold]);
        foreach (var (cold, label) in new[] { (fileCold, "File"), (redisCold, "Redis") })
        {
            var extra = (cold.Median - off.Median) / batches * 1e6;
            notes.Add($"(e) cold {label} vs off, {batches:N0} batches of {batchSize}, Spin {micros} µs: {cold.Median / off.Median:F3}x wall ({cold.Median:F3} s vs {off.Median:F3} s; {extra:F0} µs more a batch), " +
                      $"{cold.MedianCpu / off.MedianCpu:F3}x CPU ({cold.MedianCpu:F3} s vs {off.MedianCpu:F3} s).");
        }
    }

    /// <summary>
    /// Where (a)'s time goes, one phase at a time on one thread: producing the records (Flow's Generate
    /// source vs the hand-written loop) and the per-record logic (Filter + Compute steps with compiled
    /// expressions vs the same in C#). What is left of the end-to-end gap is the runner itself.
    /// </summary>
    private static async Task<string> OverheadPhasesAsync(long count, int batchSize)
    {
        var source = new GenerateSource(Params(new { Count = count, Seed }));
        var filter = new Flow.Steps.BuiltIn.FilterStep(Params(new { Where = "value > 500" }));
        var compute = new Flow.Steps.BuiltIn.ComputeStep(Params(new { Set = new Dictionary<string, string> { ["scaled"] = "value * 2" } }));
        long flowSource = 0, handSource = 0, flowSteps = 0, handSteps = 0;

        // Streamed a batch at a time, as in a run (keeping every record alive would time the GC instead).
        for (var pass = 0; pass < 2; pass++)
        {
            flowSource = handSource = flowSteps = handSteps = 0;
            // Batches cut from the source's chunks, as the runner cuts them.
            var index = 0L;
            var formed = new List<Record>(batchSize);
            var formingSince = Stopwatch.GetTimestamp();
            await foreach (var chunk in source.ReadChunksAsync(CancellationToken.None).ConfigureAwait(false))
            {
                foreach (var record in chunk)
                {
                    formed.Add(record);
                    if (formed.Count == batchSize)
                    {
                        await StepsAsync().ConfigureAwait(false);
                    }
                }
            }

            if (formed.Count > 0)
            {
                await StepsAsync().ConfigureAwait(false);
            }

            async Task StepsAsync()
            {
                var formedAt = Stopwatch.GetTimestamp();
                var input = new Batch(new BatchId("gen", index++, 0), formed);
                var kept = await filter.ProcessAsync(input, CancellationToken.None).ConfigureAwait(false);
                _ = await compute.ProcessAsync(input.With(kept), CancellationToken.None).ConfigureAwait(false);
                var doneAt = Stopwatch.GetTimestamp();
                flowSource += formedAt - formingSince;
                flowSteps += doneAt - formedAt;
                formed = new List<Record>(batchSize);
                formingSince = Stopwatch.GetTimestamp();
            }

            var random = new Random(Seed);
            for (var start = 0L; start < count; start += batchSize)
            {
                var t0 = Stopwatch.GetTimestamp();
                var batch = new List<Record>(batchSize);
                for (var i = start; i < Math.Min(count, start + batchSize); i++)
                {
                    var record = new Record(2);
                    record.Set("id", i);
                    record.Set("value", Math.Round(random.NextDouble() * 1000, 3));
                    batch.Add(record);
                }

                var t1 = Stopwatch.GetTimestamp();
                var output = new List<Record>(batch.Count);
                foreach (var record in batch)
                {
                    if (record["value"] is double value && value > 500)
                    {
                        output.Add(record);
                    }
                }

                foreach (var record in output)
                {
                    record.Set("scaled", record["value"] is double value ? value * 2 : null);
                }

                var t2 = Stopwatch.GetTimestamp();
                handSource += t1 - t0;
                handSteps += t2 - t1;
            }

            Collect();
        }

        double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency / count;
        return $"(a) phases, one thread, per record ({count:N0} records, second pass): Generate source {Ns(flowSource):F0} ns vs hand-written loop {Ns(handSource):F0} ns; " +
               $"Filter + Compute steps {Ns(flowSteps):F0} ns vs C# {Ns(handSteps):F0} ns. Sum Flow {Ns(flowSource + flowSteps):F0} ns vs hand {Ns(handSource + handSteps):F0} ns.";

        static NodeParameters Params(object value) => new(ParamNode.FromObject(value), "perf", Directory.GetCurrentDirectory());
    }

    /// <summary>
    /// Where a replayed batch's time goes, one phase at a time on one thread (Stopwatch around each):
    /// the source producing the records, serialize + hash (the input key), store GET, entry decode
    /// (checksum + inflate), deserialize.
    /// </summary>
    private static async Task<List<string>> PhasesAsync(CacheUnderTest cache, int batchSize, int batchCount)
    {
        var store = await cache.StoreAsync().ConfigureAwait(false);
        var codec = new CacheEntryCodec();
        var source = new GenerateSource(new NodeParameters(ParamNode.FromObject(new { Count = (long)batchSize * batchCount, Seed, Fields = WideFields }), "perf", Directory.GetCurrentDirectory()));

        long generate = 0, serialize = 0, hash = 0, get = 0, decode = 0, deserialize = 0, payloadBytes = 0, entryBytes = 0;
        // The source alone, streamed and discarded (twice; the second pass counts): keeping every
        // record alive here would time the GC rather than the source.
        for (var pass = 0; pass < 2; pass++)
        {
            var started = Stopwatch.GetTimestamp();
            await foreach (var chunk in source.ReadChunksAsync(CancellationToken.None).ConfigureAwait(false))
            {
                GC.KeepAlive(chunk);
            }

            generate = Stopwatch.GetTimestamp() - started;
        }

        var batches = new List<List<Record>>();
        var current = new List<Record>(batchSize);
        await foreach (var record in source.ReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            current.Add(record);
            if (current.Count == batchSize)
            {
                batches.Add(current);
                current = new List<Record>(batchSize);
            }
        }

        Collect();

        // Entries keyed like the real ones, under a signature of their own.
        var keys = new List<CacheKey>();
        foreach (var batch in batches)
        {
            var payload = BatchSerializer.Serialize(batch);
            var key = new CacheKey("0123456789abcdef0123456789abcdef", CacheHash.Of(payload));
            await store.SetAsync(key, codec.Encode(payload, DateTimeOffset.UtcNow), TimeSpan.FromHours(1), CancellationToken.None).ConfigureAwait(false);
            keys.Add(key);
        }

        // Pass 0 warms up (JIT tiers, connection, page cache); pass 1 is measured.
        for (var pass = 0; pass < 2; pass++)
        {
            serialize = hash = get = decode = deserialize = payloadBytes = entryBytes = 0;
            for (var i = 0; i < batches.Count; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var payload = BatchSerializer.Serialize(batches[i]);
                var t1 = Stopwatch.GetTimestamp();
                _ = CacheHash.Of(payload);
                var t2 = Stopwatch.GetTimestamp();
                var entry = await store.GetAsync(keys[i], CancellationToken.None).ConfigureAwait(false) ?? throw new InvalidOperationException("phase entry missing");
                var t3 = Stopwatch.GetTimestamp();
                if (!codec.TryDecode(entry, out var decoded, out _, out var error))
                {
                    throw new InvalidOperationException(error);
                }

                var t4 = Stopwatch.GetTimestamp();
                _ = BatchSerializer.Deserialize(decoded);
                var t5 = Stopwatch.GetTimestamp();
                serialize += t1 - t0;
                hash += t2 - t1;
                get += t3 - t2;
                decode += t4 - t3;
                deserialize += t5 - t4;
                payloadBytes += payload.Length;
                entryBytes += entry.Length;
            }
        }

        double PerRecordNs(long ticks) => ticks * 1e9 / Stopwatch.Frequency / ((double)batchSize * batches.Count);
        var phases = new (string Name, long Ticks)[] { ("generate (source)", generate), ("serialize input", serialize), ("hash", hash), ($"{cache.Label} GET", get), ("decode entry", decode), ("deserialize", deserialize) };
        var total = phases.Sum(p => PerRecordNs(p.Ticks));
        var text = string.Join(", ", phases.Select(p => $"{p.Name} {PerRecordNs(p.Ticks):F0} ns"));
        return
        [
            $"(d) {cache.Label} replay phases, one thread, per record ({batches.Count} batches of {batchSize}): {text}; sum {total:F0} ns = {1e9 / total:N0} records/s on one core. " +
            $"Payload {payloadBytes / batches.Count:N0} B/batch, entry {entryBytes / batches.Count:N0} B/batch.",
        ];
    }

    private static void Expect(RunOutcome run, long hits, long misses, long records, string what)
    {
        if (run.Hits != hits || run.Misses != misses || run.SourceRecords != records || run.SinkRecords != records)
        {
            throw new InvalidOperationException($"{what}: expected {hits} hits, {misses} misses, {records} records; got {run.Hits} hits, {run.Misses} misses, {run.SourceRecords} read, {run.SinkRecords} written");
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
