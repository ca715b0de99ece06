using System.Globalization;
using System.Text;

namespace Flow.Perf.Scenarios;

/// <summary>Repeated timings of one configuration (seconds), with the records each run moved.</summary>
internal sealed class Series
{
    public Series(string scenario, string name, long records)
    {
        Scenario = scenario;
        Name = name;
        Records = records;
    }

    public string Scenario { get; }

    public string Name { get; }

    public long Records { get; }

    public List<double> Seconds { get; } = new();

    /// <summary>CPU time of this process during each run (all threads: the pipeline, GC, the Redis client).</summary>
    public List<double> CpuSeconds { get; } = new();

    public double MedianCpu => MedianOf(CpuSeconds);

    /// <summary>Records per CPU-second: what the run costs, whatever else the machine was doing.</summary>
    public double RecordsPerCpuSecond => Records / MedianCpu;

    public double Median => MedianOf(Seconds);

    public double Best => Seconds.Min();

    public double Worst => Seconds.Max();

    public double RecordsPerSecond => Records / Median;

    /// <summary>CPU time of a server the run used (redis-server in (s)), when measured.</summary>
    public List<double> ServerCpu { get; } = new();

    public void Add(RunOutcome outcome)
    {
        Seconds.Add(outcome.Seconds);
        CpuSeconds.Add(outcome.CpuSeconds);
        if (outcome.ServerCpu is { } server)
        {
            ServerCpu.Add(server);
        }
    }

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

/// <summary>A DESIGN.md target: a ratio of two medians, compared to its bound.</summary>
internal sealed record TargetResult(string Id, string Description, double Value, string Unit, double Bound, bool AtMost, string Detail)
{
    public bool Pass => AtMost ? Value <= Bound : Value >= Bound;

    public string BoundText => (AtMost ? "≤ " : "≥ ") + Format(Bound) + Unit;

    public string ValueText => Format(Value) + Unit;

    private static string Format(double value) => value >= 10_000
        ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString(value >= 100 ? "F0" : value >= 10 ? "F1" : "F3", CultureInfo.InvariantCulture);
}

internal static class Report
{
    public static string SeriesTable(IEnumerable<Series> series)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | configuration | records | runs | median s | best s | worst s | records/s (median) | CPU s (median) | records per CPU-s |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in series)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Scenario} | {s.Name} | {s.Records:N0} | {s.Seconds.Count} | {s.Median:F3} | {s.Best:F3} | {s.Worst:F3} | {s.RecordsPerSecond:N0} | {s.MedianCpu:F3} | {s.RecordsPerCpuSecond:N0} |");
        }

        return text.ToString();
    }

    public static string TargetTable(IEnumerable<TargetResult> targets)
    {
        var text = new StringBuilder();
        text.AppendLine("| target | measured | bound | result | how |");
        text.AppendLine("|---|---:|---:|---|---|");
        foreach (var t in targets)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {t.Id} {t.Description} | {t.ValueText} | {t.BoundText} | {(t.Pass ? "PASS" : "MISS")} | {t.Detail} |");
        }

        return text.ToString();
    }
}
