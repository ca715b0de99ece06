using System.Text.Json;
using Flow.Sinks;
using Microsoft.Extensions.Logging;

namespace Flow.Execution;

/// <summary>
/// Publishes the outputs of a completed run together: every sink flushes first (a failure there
/// publishes nothing and leaves every previous output in place), then each sink publishes in
/// declaration order. File outputs are renamed into place under a journal naming them all, so a
/// process killed between two renames has its publish finished by the next run of the pipeline,
/// before anything else: a reader never finds a mixed set once Flow has started again.
/// </summary>
internal sealed class OutputPublisher
{
    private readonly string _pipeline;
    private readonly string? _journalDirectory;
    private readonly ILogger _logger;

    /// <param name="pipeline">The pipeline whose outputs these are.</param>
    /// <param name="journalDirectory">Where the publish journal lives (<c>.flow/publish</c>); null for no journal.</param>
    /// <param name="logger">For the outcome of a publish that did not go through.</param>
    public OutputPublisher(string pipeline, string? journalDirectory, ILogger logger)
    {
        _pipeline = pipeline;
        _journalDirectory = journalDirectory;
        _logger = logger;
    }

    private string? JournalPath => _journalDirectory is null
        ? null
        : Path.Combine(_journalDirectory, Caching.PipelineSignatures.MetadataName(_pipeline) + ".json");

    /// <summary>
    /// Finishes a publish that a killed process left half done: the outputs its journal names and
    /// whose complete new version still waits in <c>PATH.partial</c> are moved into place.
    /// </summary>
    public void CompleteInterruptedPublish()
    {
        if (JournalPath is not { } journal || !File.Exists(journal))
        {
            return;
        }

        List<Move>? moves;
        try
        {
            moves = JsonSerializer.Deserialize<List<Move>>(File.ReadAllBytes(journal));
        }
        catch (JsonException ex)
        {
            RunnerLog.PublishJournalUnreadable(_logger, _pipeline, journal, ex.Message);
            File.Delete(journal);
            return;
        }

        var completed = new List<string>();
        foreach (var move in moves ?? [])
        {
            if (File.Exists(move.From))
            {
                File.Move(move.From, move.To, overwrite: true);
                completed.Add(move.To);
            }
        }

        RunnerLog.PublishCompleted(_logger, _pipeline, completed.Count == 0 ? "(none were left)" : string.Join(", ", completed));
        File.Delete(journal);
    }

    /// <summary>Flushes every sink, then publishes every output. Throws on the first failure, after logging which outputs are new.</summary>
    public async Task PublishAsync(IReadOnlyList<(string Name, ISink Sink)> sinks, CancellationToken cancellationToken)
    {
        foreach (var (name, sink) in sinks)
        {
            try
            {
                await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException($"sink '{name}' could not flush its output: {ex.Message}; no output of this run was published, the previous ones are untouched", ex);
            }
        }

        var files = sinks.Select(s => s.Sink).OfType<IFileOutput>().Where(f => !f.Appends).Select(f => new Move(f.PartialPath, f.TargetPath)).ToList();
        var journal = files.Count > 1 ? JournalPath : null;
        if (journal is not null)
        {
            WriteJournal(journal, files);
        }

        var published = new List<string>();
        foreach (var (name, sink) in sinks)
        {
            try
            {
                await sink.CommitAsync(cancellationToken).ConfigureAwait(false);
                published.Add(name);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var pending = sinks.Select(s => s.Name).Except(published).ToList();
                throw new InvalidOperationException(
                    $"sink '{name}' could not publish its output: {ex.Message}; "
                    + (published.Count == 0 ? "no output of this run was published" : $"already published (new): {string.Join(", ", published)}")
                    + $"; not published (previous output kept): {string.Join(", ", pending)}",
                    ex);
            }
        }

        if (journal is not null)
        {
            File.Delete(journal);
        }
    }

    private static void WriteJournal(string journal, List<Move> moves)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(journal)!);
        var temporary = journal + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, moves);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, journal, overwrite: true);
    }

    /// <summary>One rename of a publish: a complete <c>PATH.partial</c> onto <c>PATH</c>.</summary>
    internal sealed record Move(string From, string To);
}
