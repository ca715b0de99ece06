using System.Globalization;
using System.Text;
using System.Text.Json;
using Flow.Execution;

namespace Flow.Hosting.Running;

/// <summary>The end-of-run summary: a table for people, and the JSON report for scripts (<c>--report FILE</c>).</summary>
internal static class RunSummary
{
    public static string FormatTable(PipelineResult result)
    {
        // The errors column only when something failed and went to an error sink: most runs have none.
        var routed = result.Nodes.Sum(n => n.ErrorsRouted);
        // Without a cache (Store=None) there are no hits, waits, misses or savings to show.
        var cached = result.Cached;
        string[] header = ["node", "kind", "batches", .. (cached ? new[] { "hits", "waited", "misses" } : []), "records in", "records out", .. (routed > 0 ? new[] { "errors" } : []), "time ms", .. (cached ? new[] { "saved ms" } : [])];
        var rows = result.Nodes.Select(n => (string[])
        [

            n.Name,
            n.Kind.ToString().ToLowerInvariant(),
            Count(n.Batches),
            .. (cached ? new[] { n.Kind == NodeKind.Step ? Count(n.Hits) : "-", n.Kind == NodeKind.Step ? Count(n.Waited) : "-", n.Kind == NodeKind.Step ? Count(n.Misses) : "-" } : []),
            n.Kind == NodeKind.Source ? "-" : Count(n.RecordsIn),
            n.Kind == NodeKind.Sink ? "-" : Count(n.RecordsOut),
            .. (routed > 0 ? new[] { n.Kind == NodeKind.Source ? "-" : Count(n.ErrorsRouted) } : []),
            Milliseconds(n.Elapsed),
            .. (cached ? new[] { n.Kind != NodeKind.Step ? "-" : IsSavedUnknown(n) ? "?" : Milliseconds(n.Saved) } : []),
        ]).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        // Not a second completion line (the runner logs that one): what the steps did, in one sentence.
        var steps = result.Nodes.Where(n => n.Kind == NodeKind.Step).ToList();
        var errors = routed > 0 ? $"; {Count(routed)} record(s) failed and went to error sinks (errors)" : "";
        text.Append(cached // every number here is already formatted (Count, Milliseconds)
            ? $"pipeline {result.Pipeline} by node: {Count(steps.Sum(n => n.Hits + n.Waited))} of {Count(steps.Sum(n => n.Hits + n.Waited + n.Misses))} step batches from the cache, about {Milliseconds(TimeSpan.FromTicks(steps.Sum(n => n.Saved.Ticks)))} ms of compute saved{(steps.Any(IsSavedUnknown) ? " (? = hits of a step whose compute time was never measured)" : "")}{errors}"
            : $"pipeline {result.Pipeline} by node: no cache (Flow:Cache:Store=None): the steps computed all {Count(steps.Sum(n => n.Misses))} of their batches{errors}").AppendLine();
        AppendRow(text, header, widths);
        foreach (var row in rows)
        {
            AppendRow(text, row, widths);
        }

        // Why a step's batches were all computed although the cache is on.
        foreach (var step in steps.Where(s => s.NotCached is not null))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {step.Name}: {step.NotCached}").AppendLine();
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// Why the report cannot be written at <paramref name="path"/> (a folder, an unwritable place),
    /// or null: checked before the run, so a bad <c>--report</c> does not waste the run's work.
    /// </summary>
    public static string? ReportPathProblem(string path)
    {
        var full = Path.GetFullPath(path);
        if (path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(full))
        {
            return $"'{path}' is a folder; the report is a file (e.g. '{Path.Combine(path, "report.json")}')";
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var probe = full + ".partial";
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"'{path}' cannot be written: {ex.Message}";
        }
    }

    public static async Task WriteReportAsync(string path, IEnumerable<PipelineResult> results, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var temporary = path + ".partial";
        await using (var stream = File.Create(temporary))
        await using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("pipelines");
            foreach (var result in results)
            {
                writer.WriteStartObject(result.Pipeline);
                writer.WriteString("status", result.Status.ToString().ToLowerInvariant());
                writer.WriteNumber("elapsedMs", (long)result.Elapsed.TotalMilliseconds);
                writer.WriteBoolean("cached", result.Cached); // false: no cache at all (Flow:Cache:Store=None)
                if (result.Error is not null)
                {
                    writer.WriteString("error", result.Error.Message);
                }

                writer.WriteStartObject("nodes");
                foreach (var node in result.Nodes)
                {
                    writer.WriteStartObject(node.Name);
                    WriteCounts(writer, node);
                    writer.WriteNumber("savedMs", (long)node.Saved.TotalMilliseconds);
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();

            // The process's own peak, so a test or a script can check that memory stayed bounded.
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            writer.WriteStartObject("process");
            writer.WriteNumber("peakWorkingSetBytes", process.PeakWorkingSet64);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> cells, int[] widths)
    {
        text.Append("  ");
        for (var i = 0; i < cells.Count; i++)
        {
            // Names left-aligned, numbers right-aligned.
            text.Append(i < 2 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i])).Append("  ");
        }

        // No trailing spaces: the last column may be left-aligned text, and every cell is followed by a gap.
        while (text.Length > 0 && text[^1] == ' ')
        {
            text.Length--;
        }

        text.AppendLine();
    }

    // Hits but no measured compute time: the cache's record of the step's last computing run is
    // missing (cleared, or written before Flow recorded it). Unknown, not zero.
    private static bool IsSavedUnknown(NodeStats node) => node.Hits > 0 && node.Saved == TimeSpan.Zero;

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Milliseconds(TimeSpan value) => Math.Round(value.TotalMilliseconds).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A node's kind, type and counts, as the report and the status page's <c>/api/status</c> both name them.</summary>
    public static void WriteCounts(Utf8JsonWriter writer, NodeStats node)
    {
        writer.WriteString("kind", node.Kind.ToString().ToLowerInvariant());
        writer.WriteString("type", node.Type);
        writer.WriteNumber("batches", node.Batches);
        writer.WriteNumber("hits", node.Hits);
        writer.WriteNumber("waited", node.Waited);
        writer.WriteNumber("misses", node.Misses);
        writer.WriteNumber("recordsIn", node.RecordsIn);
        writer.WriteNumber("recordsOut", node.RecordsOut);
        writer.WriteNumber("errorsRouted", node.ErrorsRouted);
        writer.WriteNumber("elapsedMs", (long)node.Elapsed.TotalMilliseconds);
        if (node.NotCached is { } reason)
        {
            writer.WriteString("notCached", reason);
        }
    }
}
