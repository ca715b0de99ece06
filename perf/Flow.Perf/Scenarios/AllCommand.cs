using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Flow.Perf.Scenarios;

/// <summary>Options of <c>all</c>: --quick, --out FILE, --redis host:port, --flow PATH/flow.dll.</summary>
internal sealed record AllOptions(bool Quick, string? Out, string? Redis, string? FlowDll)
{
    public static AllOptions Parse(string[] args)
    {
        var options = new AllOptions(false, null, null, null);
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--out" when i + 1 < args.Length => options with { Out = args[++i] },
                "--redis" when i + 1 < args.Length => options with { Redis = args[++i] },
                "--flow" when i + 1 < args.Length => options with { FlowDll = Path.GetFullPath(args[++i]) },
                _ => throw new ArgumentException($"all: unknown option '{args[i]}' (--quick, --out FILE, --redis host:port, --flow PATH/flow.dll)"),
            };
        }

        return options;
    }
}

/// <summary>
/// One line of the table: a measured configuration, its baseline in the same run, the ratio and the
/// target. Ratios are of median wall times (this / baseline) unless the row says otherwise.
/// </summary>
internal sealed record Row(string Scenario, double? RecordsPerSecond, double? MBPerSecond, double? PeakMB, string Baseline, string Ratio, string Target, bool? Pass, string Detail);

/// <summary>
/// <c>all [--quick]</c>: every scenario, one table. Whole-process scenarios (1, 2, 3, 5, s) start the
/// worker's Release build (<c>dotnet flow.dll run</c>) and the baseline programs of perf/Baselines as
/// processes of their own, runs interleaved round by round; in-process ones (a, b, c, d) are the
/// <c>scenarios</c> runner's. Inputs are generated into a temp folder and deleted at the end.
/// </summary>
internal static class AllCommand
{
    private const int BatchSize = 1000;

    public static async Task<int> RunAsync(AllOptions options)
    {
        var repo = Path.GetDirectoryName(RepoPaths.PerfFolder)!;
        var flowDll = options.FlowDll ?? Path.Combine(repo, "src", "Flow.Worker", "bin", "Release", "net10.0", "flow.dll");
        if (!File.Exists(flowDll))
        {
            await Console.Error.WriteLineAsync($"all: no worker build at {flowDll}. Build it first: dotnet build src/Flow.Worker -c Release (or give --flow PATH/flow.dll)").ConfigureAwait(false);
            return 2;
        }

        var dataflowDll = RepoPaths.Baseline("DataflowBaseline", "Flow.Perf.DataflowBaseline");
        var singlePassDll = RepoPaths.Baseline("SinglePassBaseline", "Flow.Perf.SinglePassBaseline");
        foreach (var dll in new[] { dataflowDll, singlePassDll, StreamScenario.HandWrittenDll })
        {
            if (!File.Exists(dll))
            {
                await Console.Error.WriteLineAsync($"all: no baseline build at {dll}. Build it: dotnet build Flow.sln -c Release").ConfigureAwait(false);
                return 2;
            }
        }

        var flights = Path.Combine(repo, "samples", "data", "flights-20k.json");
        var loadStart = Uptime();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Console.WriteLine($"Flow.Perf all — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}" +
                          $"{(options.Quick ? ", QUICK sizes (a smoke test, not a measurement)" : "")}");
        Console.WriteLine($"uptime at start: {loadStart}");
        Console.WriteLine($"flow: {flowDll}");

        List<Row> rows = [];
        var notes = new List<string>();
        var series = new List<Series>();
        var targets = new List<TargetResult>();
        var temp = Directory.CreateTempSubdirectory("flow-perf-all-");
        RedisServer? ownRedis = null;
        try
        {
            var redis = options.Redis;
            if (redis is null)
            {
                ownRedis = await RedisServer.StartAsync().ConfigureAwait(false);
                redis = ownRedis.Configuration;
                Console.WriteLine($"started redis-server on {redis} (stopped at the end)");
            }

            var ctx = new Context(options.Quick, flowDll, dataflowDll, singlePassDll, temp.FullName, redis, rows, notes);
            var flights200k = Path.Combine(temp.FullName, "flights.json");
            var inputRecords = WriteFlightsArray(flights, flights200k, options.Quick ? 5 : 10);
            Console.WriteLine($"generated {flights200k}: {inputRecords:N0} flights, {new FileInfo(flights200k).Length / 1e6:F1} MB");

            await FlightsAsync(ctx, flights200k, inputRecords).ConfigureAwait(false);
            await JsonLinesFilterAsync(ctx, flights).ConfigureAwait(false);
            await WarmReplayAsync(ctx, flights200k, inputRecords).ConfigureAwait(false);
            await SampleAsync(ctx, repo).ConfigureAwait(false);
            await InProcessAsync(ctx, series, targets).ConfigureAwait(false);
            await StreamsAsync(ctx, series, targets).ConfigureAwait(false);
        }
        finally
        {
            ownRedis?.Dispose();
            temp.Delete(recursive: true);
        }

        var loadEnd = Uptime();
        // In the issue's order: 1-5 (with the in-process rows of 3 and 4 under theirs), then a and s.
        rows = [.. rows.OrderBy(r => "12345as".IndexOf(r.Scenario[0], StringComparison.Ordinal))];
        var table = Table(rows);
        var report = new StringBuilder().AppendLine().Append(table).AppendLine();
        foreach (var note in notes)
        {
            report.AppendLine("- " + note);
        }

        report.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"uptime at start: {loadStart}")
            .AppendLine(CultureInfo.InvariantCulture, $"uptime at end:   {loadEnd}")
            .AppendLine(CultureInfo.InvariantCulture, $"all{(options.Quick ? " --quick" : "")}: {clock.Elapsed.TotalSeconds:F0} s, {rows.Count(r => r.Pass == true)} PASS, {rows.Count(r => r.Pass == false)} MISS");
        Console.WriteLine(report);

        var output = options.Out ?? Path.Combine(RepoPaths.PerfFolder, "all-results.json");
        var document = new
        {
            date = DateTimeOffset.UtcNow,
            cores = Environment.ProcessorCount,
            runtime = RuntimeInformation.FrameworkDescription,
            quick = options.Quick,
            seconds = clock.Elapsed.TotalSeconds,
            uptimeStart = loadStart,
            uptimeEnd = loadEnd,
            rows,
            notes,
            table,
            inProcessRuns = series.Select(s => new { s.Scenario, s.Name, s.Records, s.Seconds, s.Median, s.CpuSeconds, s.RecordsPerSecond }),
        };
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
        Console.WriteLine($"numbers written to {output}");
        return 0;
    }

    private sealed record Context(bool Quick, string FlowDll, string DataflowDll, string SinglePassDll, string Temp, string Redis, List<Row> Rows, List<string> Notes)
    {
        /// <summary>Counted rounds, after <see cref="WarmUp"/> rounds that are not counted.</summary>
        public int Rounds => Quick ? 1 : 3;

        public int WarmUp => Quick ? 0 : 1;
    }

    /// <summary>A whole-process configuration's runs: wall, CPU and peak working set each.</summary>
    private sealed class Runs(string name)
    {
        public string Name { get; } = name;

        public List<double> Seconds { get; } = [];

        public List<double> Cpu { get; } = [];

        public List<double> Peak { get; } = [];

        public double Median => MedianOf(Seconds);

        public double MedianCpu => MedianOf(Cpu);

        public double MaxPeak => Peak.Count == 0 ? 0 : Peak.Max();

        public void Add(ChildRun run)
        {
            Seconds.Add(run.Seconds);
            Cpu.Add(run.CpuSeconds);
            Peak.Add(run.PeakMB);
        }

        public string Spread => string.Create(CultureInfo.InvariantCulture, $"median {Median:F2} s ({Seconds.Min():F2}–{Seconds.Max():F2}, {Seconds.Count} runs), CPU {MedianCpu:F2} s, peak {MaxPeak:F0} MB");
    }

    // ---- 1: 200k flights, Json -> Filter -> Compute (Parallelism 2) -> Select -> JsonLines, cache off -----------------

    private static async Task FlightsAsync(Context ctx, string input, long records)
    {
        var bytes = new FileInfo(input).Length;
        var folder = Path.Combine(ctx.Temp, "s1");
        Directory.CreateDirectory(folder);
        var flowOut = Path.Combine(folder, "flow.jsonl");
        var config = Path.Combine(folder, "flights.json");
        await File.WriteAllTextAsync(config, Config(Path.Combine(folder, "cache"), null, null, $$"""
            "BatchSize": {{BatchSize}},
            "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{Q(input)}} } } ],
            "Steps": [
              { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } },
              { "Name": "enrich", "Type": "Compute", "Parallelism": 2, "Params": { "Set": { "delay_hours": "round(delay / 60, 2)", "route": "origin + '-' + destination" } } },
              { "Name": "slim", "Type": "Select", "Params": { "Fields": [ "date", "route", "delay_hours", "distance" ] } }
            ],
            "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{Q(flowOut)}} } } ]
            """)).ConfigureAwait(false);

        Console.WriteLine($"(1) {records:N0} flights, Json -> Filter -> Compute (Parallelism 2) -> Select -> JsonLines, no cache (Flow:Cache:Store=None) and a refresh (--use-cache=false), BatchSize {BatchSize}; " +
                          $"vs (a) hand-written TPL Dataflow, (b) one Utf8JsonReader pass; {ctx.WarmUp} warm-up + {ctx.Rounds} rounds, order rotated each round");
        var configs = new (Runs Runs, string Output, Func<string, Task<ChildRun>> Run)[]
        {
            (new Runs("Flow"), flowOut, _ => Flow(ctx, folder, config, CacheUse.None, what: "(1) Flow")),
            (new Runs("Flow, refresh"), flowOut, _ => Flow(ctx, folder, config, CacheUse.Refresh, what: "(1) Flow, refresh")),
            (new Runs("(a) hand-written TPL Dataflow"), Path.Combine(folder, "dataflow.jsonl"), o => ChildProcess.RunAsync(ctx.DataflowDll, [input, o], folder, "(1a) Dataflow baseline")),
            (new Runs("(b) one Utf8JsonReader pass"), Path.Combine(folder, "single.jsonl"), o => ChildProcess.RunAsync(ctx.SinglePassDll, ["flights", input, o], folder, "(1b) single-pass baseline")),
        };

        var hashes = new string[configs.Length];
        long? kept = null;
        for (var round = 1 - ctx.WarmUp; round <= ctx.Rounds; round++)
        {
            var line = new StringBuilder($"    round {round}{(round == 0 ? " (warm-up)" : "")}:");
            for (var k = 0; k < configs.Length; k++)
            {
                var c = configs[(k + round) % configs.Length];
                DeleteFile(c.Output);
                DeleteFolder(Path.Combine(folder, "cache"));
                var run = await c.Run(c.Output).ConfigureAwait(false);
                var lines = LineCount(c.Output);
                if ((kept ??= lines) != lines)
                {
                    throw new InvalidOperationException($"(1) {c.Runs.Name} wrote {lines:N0} lines, another configuration {kept:N0}");
                }

                hashes[(k + round) % configs.Length] = Hash(c.Output);
                if (round > 0)
                {
                    c.Runs.Add(run);
                }

                line.Append(CultureInfo.InvariantCulture, $" [{c.Runs.Name}] {run.Seconds:F2} s (CPU {run.CpuSeconds:F2} s, {run.PeakMB:F0} MB)");
            }

            Console.WriteLine(line.Append(" load ").Append(LoadAverage()));
        }

        var (flow, refresh, dataflow, single) = (configs[0].Runs, configs[1].Runs, configs[2].Runs, configs[3].Runs);
        var mb = bytes / 1e6;
        ctx.Rows.Add(new Row($"1 {records / 1000}k flights, no cache: Flow vs Dataflow", records / flow.Median, mb / flow.Median, flow.MaxPeak, "(a) hand-written Dataflow", X(flow.Median / dataflow.Median), "≤ 1.0x", flow.Median / dataflow.Median <= 1.0,
            flow.Spread + string.Create(CultureInfo.InvariantCulture, $"; CPU {flow.MedianCpu / dataflow.MedianCpu:F2}x the baseline's")));
        ctx.Rows.Add(new Row($"1 {records / 1000}k flights, refresh (--use-cache=false): Flow vs Dataflow", records / refresh.Median, mb / refresh.Median, refresh.MaxPeak, "(a) hand-written Dataflow", X(refresh.Median / dataflow.Median), "", null,
            refresh.Spread + string.Create(CultureInfo.InvariantCulture, $"; CPU {refresh.MedianCpu / dataflow.MedianCpu:F2}x the baseline's")));
        ctx.Rows.Add(new Row($"1 {records / 1000}k flights, no cache: Flow vs single pass", records / flow.Median, mb / flow.Median, flow.MaxPeak, "(b) one Utf8JsonReader pass", X(flow.Median / single.Median), "≤ 2.0x", flow.Median / single.Median <= 2.0,
            string.Create(CultureInfo.InvariantCulture, $"CPU {flow.MedianCpu / single.MedianCpu:F2}x the baseline's")));
        ctx.Rows.Add(new Row("1 baseline (a): hand-written TPL Dataflow", records / dataflow.Median, mb / dataflow.Median, dataflow.MaxPeak, "", "", "", null, dataflow.Spread));
        ctx.Rows.Add(new Row("1 baseline (b): one Utf8JsonReader pass", records / single.Median, mb / single.Median, single.MaxPeak, "", "", "", null, single.Spread));
        ctx.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"(1) every configuration wrote {kept:N0} lines; output bytes {(hashes.Distinct().Count() == 1 ? "identical (SHA-256)" : $"differ: Flow {hashes[0][..12]}, refresh {hashes[1][..12]}, Dataflow {hashes[2][..12]}, single pass {hashes[3][..12]}")}. " +
            $"No cache is Flow:Cache:Store=None (no decorator: nothing hashed, read or written); a refresh is --use-cache=false (no lookups, every result written to the File store). CPU: Flow {flow.MedianCpu:F2} s, refresh {refresh.MedianCpu:F2} s, Dataflow {dataflow.MedianCpu:F2} s, single pass {single.MedianCpu:F2} s."));
    }

    // ---- 2: JSON Lines -> Filter -> JsonLines over ~1 GB ----------------------------------------------------------------

    private static async Task JsonLinesFilterAsync(Context ctx, string flights)
    {
        var folder = Path.Combine(ctx.Temp, "s2");
        Directory.CreateDirectory(folder);
        var input = Path.Combine(folder, "flights.jsonl");
        var target = ctx.Quick ? 16L << 20 : 1L << 30;
        var records = WriteFlightsLines(flights, input, target);
        var bytes = new FileInfo(input).Length;
        var flowOut = Path.Combine(folder, "flow.jsonl");
        var config = Path.Combine(folder, "filter.json");
        await File.WriteAllTextAsync(config, Config(Path.Combine(folder, "cache"), null, null, $$"""
            "BatchSize": {{BatchSize}},
            "Sources": [ { "Name": "lines", "Type": "JsonLines", "Params": { "Path": {{Q(input)}} } } ],
            "Steps": [ { "Name": "late", "Type": "Filter", "Params": { "Where": "delay > 15" } } ],
            "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{Q(flowOut)}} } } ]
            """)).ConfigureAwait(false);

        // A full run is long (the whole GB through Flow): no warm-up round there, the file is in the page cache already.
        const int warmUp = 0;
        var rounds = ctx.Quick ? 1 : 2;
        Console.WriteLine($"(2) JSON Lines -> Filter (delay > 15) -> JsonLines, {records:N0} records, {bytes / 1e6:F0} MB, no cache and a refresh, BatchSize {BatchSize}; vs one Utf8JsonReader pass; {warmUp} warm-up + {rounds} rounds");
        var flow = new Runs("Flow");
        var refresh = new Runs("Flow, refresh");
        var single = new Runs("single pass");
        var singleOut = Path.Combine(folder, "single.jsonl");
        long? kept = null;

        async Task<ChildRun> FlowRunAsync(CacheUse cache)
        {
            DeleteFile(flowOut);
            DeleteFolder(Path.Combine(folder, "cache"));
            var run = await Flow(ctx, folder, config, cache, what: $"(2) Flow, {cache}").ConfigureAwait(false);
            var lines = LineCount(flowOut);
            DeleteFile(flowOut);
            DeleteFolder(Path.Combine(folder, "cache"));
            if ((kept ??= lines) != lines)
            {
                throw new InvalidOperationException($"(2) Flow ({cache}) kept {lines:N0} lines, another run {kept:N0}");
            }

            return run;
        }

        for (var round = 1 - warmUp; round <= rounds; round++)
        {
            var f = await FlowRunAsync(CacheUse.None).ConfigureAwait(false);
            var r = await FlowRunAsync(CacheUse.Refresh).ConfigureAwait(false);
            var s = await ChildProcess.RunAsync(ctx.SinglePassDll, ["filter", input, singleOut], folder, "(2) single-pass baseline").ConfigureAwait(false);
            var singleLines = LineCount(singleOut);
            DeleteFile(singleOut);
            if (singleLines != kept)
            {
                throw new InvalidOperationException($"(2) Flow kept {kept:N0} lines, the single pass {singleLines:N0}");
            }

            if (round > 0)
            {
                flow.Add(f);
                refresh.Add(r);
                single.Add(s);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    round {round}{(round == 0 ? " (warm-up)" : "")}: Flow {f.Seconds:F2} s (CPU {f.CpuSeconds:F2} s, {f.PeakMB:F0} MB), refresh {r.Seconds:F2} s (CPU {r.CpuSeconds:F2} s, {r.PeakMB:F0} MB), single pass {s.Seconds:F2} s (CPU {s.CpuSeconds:F2} s, {s.PeakMB:F0} MB), load {LoadAverage()}"));
        }

        var mb = bytes / 1e6;
        var size = $"{bytes / 1e6:F0} MB";
        ctx.Rows.Add(new Row($"2 JSON Lines Filter, {size}, no cache: throughput", records / flow.Median, mb / flow.Median, flow.MaxPeak, "one Utf8JsonReader pass", X(flow.Median / single.Median), "≥ 1,000,000/s", records / flow.Median >= 1_000_000,
            flow.Spread + string.Create(CultureInfo.InvariantCulture, $"; CPU {flow.MedianCpu / single.MedianCpu:F2}x the baseline's")));
        ctx.Rows.Add(new Row($"2 JSON Lines Filter, {size}, no cache: peak working set", records / flow.Median, mb / flow.Median, flow.MaxPeak, "", "", "< 300 MB", flow.MaxPeak < 300, "peak of VmHWM over the runs"));
        ctx.Rows.Add(new Row($"2 JSON Lines Filter, {size}, refresh (--use-cache=false)", records / refresh.Median, mb / refresh.Median, refresh.MaxPeak, "one Utf8JsonReader pass", X(refresh.Median / single.Median), "", null,
            refresh.Spread + string.Create(CultureInfo.InvariantCulture, $"; CPU {refresh.MedianCpu / single.MedianCpu:F2}x the baseline's")));
        ctx.Rows.Add(new Row($"2 baseline: one Utf8JsonReader pass, {size}", records / single.Median, mb / single.Median, single.MaxPeak, "", "", "", null, single.Spread));
        ctx.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"(2) {records:N0} records, {kept:N0} kept by every run; the refresh writes every batch's Filter result to the File store (serialize, SHA-256, Deflate, a file per entry)."));
    }

    // ---- 3: warm replay from Redis, whole process ---------------------------------------------------------------------

    private static async Task WarmReplayAsync(Context ctx, string input, long records)
    {
        var folder = Path.Combine(ctx.Temp, "s3");
        Directory.CreateDirectory(folder);
        var output = Path.Combine(folder, "out.jsonl");
        var config = Path.Combine(folder, "replay.json");
        var prefix = $"flowperf-all-{Guid.NewGuid():N}:";
        await File.WriteAllTextAsync(config, Config(null, ctx.Redis, prefix, $$"""
            "BatchSize": {{BatchSize}},
            "Sources": [ { "Name": "flights", "Type": "Json", "Params": { "Path": {{Q(input)}} } } ],
            "Steps": [ { "Name": "enrich", "Type": "Compute", "UseCache": true, "Params": { "Set": { "delay_hours": "round(delay / 60, 2)", "route": "origin + '-' + destination" } } } ],
            "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": {{Q(output)}} } } ]
            """)).ConfigureAwait(false);
        var batches = (records + BatchSize - 1) / BatchSize;
        Console.WriteLine($"(3) warm replay from Redis: {records:N0} flights, Json -> Compute (cached) -> JsonLines, BatchSize {BatchSize}, whole process; one cold run fills, then {ctx.WarmUp} warm-up + {ctx.Rounds} rounds of warm vs cache off");

        async Task<ChildRun> Run(bool cache, long hits, long misses, string what)
        {
            DeleteFile(output);
            var report = Path.Combine(folder, "report.json");
            var run = await Flow(ctx, folder, config, cache ? CacheUse.On : CacheUse.Refresh, what, report).ConfigureAwait(false);
            var (h, m) = StepCounts(report, "p", "enrich");
            if ((cache && (h != hits || m != misses)) || LineCount(output) != records)
            {
                throw new InvalidOperationException($"{what}: expected {(cache ? $"{hits} hits, {misses} misses, " : "")}{records:N0} lines; got {h} hits, {m} misses, {LineCount(output):N0} lines");
            }

            return run;
        }

        var cold = await Run(true, 0, batches, "(3) cold").ConfigureAwait(false);
        Console.WriteLine($"    cold (fills the cache): {cold.Seconds:F2} s (CPU {cold.CpuSeconds:F2} s, {cold.PeakMB:F0} MB)");
        var warm = new Runs("warm");
        var off = new Runs("off");
        for (var round = 1 - ctx.WarmUp; round <= ctx.Rounds; round++)
        {
            var w = await Run(true, batches, 0, "(3) warm").ConfigureAwait(false);
            var o = await Run(false, 0, 0, "(3) cache off").ConfigureAwait(false);
            if (round > 0)
            {
                warm.Add(w);
                off.Add(o);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    round {round}{(round == 0 ? " (warm-up)" : "")}: warm {w.Seconds:F2} s (CPU {w.CpuSeconds:F2} s, {w.PeakMB:F0} MB), off {o.Seconds:F2} s (CPU {o.CpuSeconds:F2} s), load {LoadAverage()}"));
        }

        var mb = new FileInfo(input).Length / 1e6;
        ctx.Rows.Add(new Row($"3 warm replay from Redis, {records / 1000}k flights, whole process", records / warm.Median, mb / warm.Median, warm.MaxPeak, "same pipeline, cache off", X(warm.Median / off.Median), "≥ 400,000/s", records / warm.Median >= 400_000,
            warm.Spread + string.Create(CultureInfo.InvariantCulture, $"; CPU {warm.MedianCpu / off.MedianCpu:F2}x the cache-off run's; cold fill {cold.Seconds:F2} s")));
        ctx.Rows.Add(new Row("3 same pipeline, cache off (baseline)", records / off.Median, mb / off.Median, off.MaxPeak, "", "", "", null, off.Spread));
    }

    // ---- 5: the sample pipeline of appsettings.json, warm vs cache off ------------------------------------------------------

    private static async Task SampleAsync(Context ctx, string repo)
    {
        // A copy of the repository's sample: appsettings.json in the working folder, its data where it points.
        var folder = Path.Combine(ctx.Temp, "s5");
        var data = Path.Combine(folder, "samples", "data");
        Directory.CreateDirectory(data);
        File.Copy(Path.Combine(repo, "appsettings.json"), Path.Combine(folder, "appsettings.json"));
        foreach (var file in new[] { "flights-20k.json", "airports.csv" })
        {
            File.Copy(Path.Combine(repo, "samples", "data", file), Path.Combine(data, file));
        }

        var output = Path.Combine(folder, "out", "late-flights.jsonl");
        const long records = 20_000;
        Console.WriteLine($"(5) the sample pipeline of appsettings.json (flights: Json -> Filter -> Lookup -> Compute -> Drop -> JsonLines, File cache), whole process; one cold run fills, then {ctx.WarmUp} warm-up + {ctx.Rounds} rounds of warm vs cache off");
        long? kept = null;

        async Task<(ChildRun Run, long Hits, long Misses)> Run(bool cache, string what)
        {
            DeleteFile(output);
            var report = Path.Combine(folder, "report.json");
            var run = await Flow(ctx, folder, null, cache ? CacheUse.On : CacheUse.Refresh, what, report).ConfigureAwait(false);
            var lines = LineCount(output);
            if ((kept ??= lines) != lines || lines == 0)
            {
                throw new InvalidOperationException($"{what}: wrote {lines:N0} lines, the cold run {kept:N0}");
            }

            var counts = new[] { "late", "airports", "enrich", "slim" }.Select(s => StepCounts(report, "flights", s)).ToList();
            return (run, counts.Sum(c => c.Hits), counts.Sum(c => c.Misses));
        }

        var cold = await Run(true, "(5) cold").ConfigureAwait(false);
        Console.WriteLine($"    cold (fills the cache): {cold.Run.Seconds:F2} s, {cold.Misses} misses");
        var warm = new Runs("warm");
        var off = new Runs("off");
        var warmCounts = (Hits: 0L, Misses: 0L);
        for (var round = 1 - ctx.WarmUp; round <= ctx.Rounds; round++)
        {
            var w = await Run(true, "(5) warm").ConfigureAwait(false);
            var o = await Run(false, "(5) cache off").ConfigureAwait(false);
            warmCounts = (w.Hits, w.Misses);
            if (round > 0)
            {
                warm.Add(w.Run);
                off.Add(o.Run);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    round {round}{(round == 0 ? " (warm-up)" : "")}: warm {w.Run.Seconds:F2} s (CPU {w.Run.CpuSeconds:F2} s; {w.Hits} hits, {w.Misses} misses), off {o.Run.Seconds:F2} s (CPU {o.Run.CpuSeconds:F2} s), load {LoadAverage()}"));
        }

        var mb = new FileInfo(Path.Combine(data, "flights-20k.json")).Length / 1e6;
        ctx.Rows.Add(new Row("5 sample pipeline (appsettings.json): warm vs cache off", records / warm.Median, mb / warm.Median, warm.MaxPeak, "same pipeline, cache off", X(warm.Median / off.Median), "≤ 1.0x", warm.Median / off.Median <= 1.0,
            warm.Spread + string.Create(CultureInfo.InvariantCulture, $"; warm: {warmCounts.Hits} hits, {warmCounts.Misses} misses; CPU {warm.MedianCpu / off.MedianCpu:F2}x")));
        ctx.Rows.Add(new Row("5 sample pipeline, cache off (baseline)", records / off.Median, mb / off.Median, off.MaxPeak, "", "", "", null, off.Spread));
    }

    // ---- a, b, c, d: the in-process scenarios of `scenarios` -------------------------------------------------------------

    private static async Task InProcessAsync(Context ctx, List<Series> series, List<TargetResult> targets)
    {
        var options = ScenarioOptions.Parse(ctx.Quick ? ["--quick"] : []);
        var harness = new Harness();
        var notes = new List<string>();

        var from = series.Count;
        await ScenarioRunner.OverheadAsync(harness, options, series, targets, notes).ConfigureAwait(false);
        var a = series.Skip(from).ToList();
        var (flow, hand) = (a[0], a[1]);
        ctx.Rows.Add(new Row($"a in-process: Generate {flow.Records:N0} -> Filter -> Compute, cache off", flow.RecordsPerSecond, null, null, "hand-written Dataflow, same process", X(flow.Median / hand.Median), "≤ 1.0x", flow.Median / hand.Median <= 1.0,
            string.Create(CultureInfo.InvariantCulture, $"median {flow.Median:F3} s vs {hand.Median:F3} s; CPU {flow.MedianCpu / hand.MedianCpu:F2}x")));

        from = series.Count;
        await ScenarioRunner.ColdWarmAsync(harness, options, ctx.Redis, series, targets, notes).ConfigureAwait(false);
        var b = series.Skip(from).ToList();
        var (off, fileCold, redisCold, fileWarm, redisWarm) = (b[0], b[1], b[2], b[3], b[4]);
        foreach (var (cold, warm, label) in new[] { (fileCold, fileWarm, "File"), (redisCold, redisWarm, "Redis") })
        {
            ctx.Rows.Add(new Row($"4 (b) in-process: Spin 50 µs/record, cold cache on ({label}) vs off", cold.RecordsPerSecond, null, null, "cache off", X(cold.Median / off.Median), "≤ 1.05x", cold.Median / off.Median <= 1.05,
                string.Create(CultureInfo.InvariantCulture, $"median {cold.Median:F3} s vs {off.Median:F3} s; CPU {cold.MedianCpu / off.MedianCpu:F3}x")));
            ctx.Rows.Add(new Row($"4 (c) in-process: warm vs cold ({label})", warm.RecordsPerSecond, null, null, "the cold run", $"{cold.Median / warm.Median:F1}x faster", "≥ 20x faster", cold.Median / warm.Median >= 20,
                string.Create(CultureInfo.InvariantCulture, $"median {warm.Median:F3} s vs {cold.Median:F3} s")));
        }

        from = series.Count;
        await ScenarioRunner.ReplayAsync(harness, options, ctx.Redis, series, targets, notes).ConfigureAwait(false);
        var d = series.Skip(from).ToList();
        var replayOff = d[0];
        foreach (var warm in d.Where(s => s.Name.StartsWith("warm replay", StringComparison.Ordinal) && !s.Name.Contains("Parallelism", StringComparison.Ordinal)))
        {
            var redis = warm.Name.EndsWith("Redis", StringComparison.Ordinal);
            ctx.Rows.Add(new Row($"3 (d) in-process: {warm.Name}, {warm.Records:N0} records", warm.RecordsPerSecond, null, null, "cache off", X(warm.Median / replayOff.Median), redis ? "≥ 2,000,000/s" : "(none)", redis ? warm.RecordsPerSecond >= 2_000_000 : null,
                string.Create(CultureInfo.InvariantCulture, $"median {warm.Median:F3} s, {warm.RecordsPerCpuSecond:N0} records per CPU-s")));
        }

        ctx.Notes.AddRange(notes);
    }

    // ---- s: streams, whole process (one worker, cache off) ----------------------------------------------------------------

    private static async Task StreamsAsync(Context ctx, List<Series> series, List<TargetResult> targets)
    {
        // Configurations 1 (no cache), h (the hand-written consumer) and 1r (a refresh), in that order.
        var options = ScenarioOptions.Parse(ctx.Quick ? ["--quick", "--s-runs", "1", "--s-configs", "1,h"] : ["--s-configs", "1,h,1r", "--s-records", "1000000"]);
        options = options with { Stream = options.Stream with { FlowDll = ctx.FlowDll } };
        var notes = new List<string>();
        var from = series.Count;
        await StreamScenario.RunAsync(options, ctx.Redis, series, targets, notes).ConfigureAwait(false);
        var (one, hand) = (series[from], series[from + 1]);
        ctx.Rows.Add(new Row($"s streams: {one.Records:N0} entries, RedisStream -> Compute -> RedisStream, 1 worker, no cache, whole process", one.RecordsPerSecond, null, null, "hand-written SE.Redis consumer", X(one.Median / hand.Median), "≥ 100,000/s", one.RecordsPerSecond >= 100_000,
            string.Create(CultureInfo.InvariantCulture, $"median {one.Median:F2} s, workers' CPU {one.MedianCpu:F2} s")));
        ctx.Rows.Add(new Row("s baseline: hand-written StackExchange.Redis consumer (2 loops, no Flow)", hand.RecordsPerSecond, null, null, "", "", "", null,
            string.Create(CultureInfo.InvariantCulture, $"median {hand.Median:F2} s, CPU {hand.MedianCpu:F2} s")));
        if (!ctx.Quick)
        {
            var refresh = series[from + 2];
            ctx.Rows.Add(new Row("s streams, 1 worker, refresh (--use-cache=false)", refresh.RecordsPerSecond, null, null, "no cache", X(refresh.Median / one.Median), "", null,
                string.Create(CultureInfo.InvariantCulture, $"median {refresh.Median:F2} s, workers' CPU {refresh.MedianCpu:F2} s")));
        }

        ctx.Notes.AddRange(notes);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------------

    /// <summary>How a Flow run uses its cache: as configured, a refresh (<c>--use-cache=false</c>: no lookups, results written), or none (<c>Flow:Cache:Store=None</c>).</summary>
    private enum CacheUse
    {
        On,
        Refresh,
        None,
    }

    /// <summary><c>dotnet flow.dll run</c> in <paramref name="folder"/>, with a config file (or the folder's appsettings.json).</summary>
    private static Task<ChildRun> Flow(Context ctx, string folder, string? config, CacheUse cache, string what, string? report = null)
    {
        var args = new List<string> { "run" };
        if (config is not null)
        {
            args.AddRange(["--config", config]);
        }

        args.AddRange(cache switch
        {
            CacheUse.Refresh => ["--use-cache=false"],
            CacheUse.None => ["--Flow:Cache:Store=None"],
            _ => [],
        });

        if (report is not null)
        {
            args.AddRange(["--report", report]);
        }

        return ChildProcess.RunAsync(ctx.FlowDll, args, folder, what);
    }

    /// <summary>A config file of one pipeline <c>p</c>: File cache in <paramref name="cacheFolder"/>, or Redis (Required) when <paramref name="redis"/> is given.</summary>
    private static string Config(string? cacheFolder, string? redis, string? prefix, string pipeline)
    {
        var cache = redis is null
            ? $$"""{ "Store": "File", "Path": {{Q(cacheFolder!)}} }"""
            : $$"""{ "Store": "Redis", "Redis": {{Q(redis)}}, "KeyPrefix": {{Q(prefix!)}}, "Required": true }""";
        return $$"""
            {
              "Logging": { "LogLevel": { "Default": "Warning" } },
              "Flow": {
                "Cache": {{cache}},
                "Pipelines": {
                  "p": {
            {{pipeline}}
                  }
                }
              }
            }
            """;
    }

    private static string Q(string value) => JsonSerializer.Serialize(value);

    private static string X(double ratio) => ratio.ToString("F2", CultureInfo.InvariantCulture) + "x";

    /// <summary>
    /// The flights of copy <paramref name="copy"/>: dated <paramref name="copy"/> years later (2001 -> 2001 + copy),
    /// so that no two batches of a generated file are alike (the step cache is content-addressed: a repeated
    /// batch would be a hit in a "cold" run, and a cache-off run would rewrite one entry many times).
    /// </summary>
    private static string Year(string flights, int copy) =>
        copy == 0 ? flights : flights.Replace("\"date\":\"2001/", $"\"date\":\"{2001 + copy}/", StringComparison.Ordinal);

    /// <summary>The sample's flights repeated <paramref name="times"/> times as one JSON array (each copy a year later); returns the record count.</summary>
    private static long WriteFlightsArray(string flights, string path, int times)
    {
        var text = File.ReadAllText(flights).Trim();
        if (!text.StartsWith('[') || !text.EndsWith(']'))
        {
            throw new InvalidOperationException($"{flights} is not one JSON array");
        }

        var inner = text[1..^1].Trim();
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write('[');
        for (var i = 0; i < times; i++)
        {
            writer.Write(i == 0 ? "" : ",");
            writer.Write(Year(inner, i));
        }

        writer.Write(']');
        using var document = JsonDocument.Parse(File.ReadAllBytes(flights));
        return document.RootElement.GetArrayLength() * (long)times;
    }

    /// <summary>The sample's flights as JSON Lines, repeated (each copy a year later) until the file holds at least <paramref name="bytes"/>; returns the record count.</summary>
    private static long WriteFlightsLines(string flights, string path, long bytes)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(flights));
        var block = new StringBuilder();
        foreach (var element in document.RootElement.EnumerateArray())
        {
            block.Append(element.GetRawText()).Append('\n');
        }

        var lines = block.ToString();
        var perChunk = document.RootElement.GetArrayLength();
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        long written = 0, records = 0;
        for (var copy = 0; written < bytes; copy++)
        {
            var chunk = Encoding.UTF8.GetBytes(Year(lines, copy));
            file.Write(chunk);
            written += chunk.Length;
            records += perChunk;
        }

        return records;
    }

    private static (long Hits, long Misses) StepCounts(string report, string pipeline, string step)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(report));
        var node = document.RootElement.GetProperty("pipelines").GetProperty(pipeline).GetProperty("nodes").GetProperty(step);
        return (node.GetProperty("hits").GetInt64(), node.GetProperty("misses").GetInt64());
    }

    private static long LineCount(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long count = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            count += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return count;
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void DeleteFile(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static void DeleteFolder(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>What <c>uptime</c> prints (load averages of 1, 5, 15 minutes).</summary>
    private static string Uptime()
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("uptime") { RedirectStandardOutput = true, UseShellExecute = false });
            if (process is not null)
            {
                var text = process.StandardOutput.ReadToEnd().Trim();
                process.WaitForExit();
                return text;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No uptime on PATH.
        }

        return "load average: " + LoadAverage();
    }

    private static string Table(List<Row> rows)
    {
        static string N(double? value, string format) => value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
        var text = new StringBuilder();
        text.AppendLine("| scenario | records/s | MB/s | peak WS MB | baseline | ratio | target | result |");
        text.AppendLine("|---|---:|---:|---:|---|---:|---|---|");
        foreach (var r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {N(r.RecordsPerSecond, "N0")} | {N(r.MBPerSecond, "F1")} | {N(r.PeakMB, "F0")} | {r.Baseline} | {r.Ratio} | {r.Target} | {(r.Pass switch { true => "PASS", false => "MISS", null => "" })} |");
        }

        text.AppendLine().AppendLine("Details:");
        foreach (var r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {r.Scenario}: {r.Detail}");
        }

        return text.ToString();
    }
}
