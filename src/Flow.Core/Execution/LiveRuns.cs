using System.Diagnostics;
using Flow.Pipelines;

namespace Flow.Execution;

/// <summary>
/// The runs going on in this process, with their nodes' live counters: what <c>/api/status</c>, the
/// status page and <c>/readyz</c> read while pipelines run. The runner adds a run once its graph is
/// about to start and marks it ended with its status; nothing here changes how a run goes.
/// </summary>
internal sealed class LiveRuns
{
    private readonly object _gate = new();
    private readonly List<LiveRun> _runs = [];
    private int _expected;

    /// <summary>How many runs the process is about to start (the worker's selected pipelines): ready only once all have.</summary>
    public void Expect(int runs) => Volatile.Write(ref _expected, runs);

    /// <summary>Every run this process started, in the order they started (ended ones included).</summary>
    public IReadOnlyList<LiveRun> Runs
    {
        get
        {
            lock (_gate)
            {
                return [.. _runs];
            }
        }
    }

    /// <summary>
    /// Ready for traffic (<c>/readyz</c>): at least one run started (every one <see cref="Expect"/>
    /// announced), none has ended, and none is held up by a required cache store that cannot serve.
    /// </summary>
    public bool IsReady
    {
        get
        {
            var runs = Runs;
            return runs.Count > 0 && runs.Count >= Volatile.Read(ref _expected) && runs.All(r => r.Status is null && !r.RequiredStoreUnavailable());
        }
    }

    /// <summary>A run's graph starts now.</summary>
    public LiveRun Started(PipelinePlan plan, IReadOnlyList<NodeStats> nodes, Func<bool>? requiredStoreUnavailable)
    {
        var run = new LiveRun(plan, nodes, requiredStoreUnavailable ?? (() => false));
        lock (_gate)
        {
            // A pipeline run again in the same process (IPipelineRunner) replaces its earlier run.
            _runs.RemoveAll(r => r.Plan.Name == plan.Name && r.Status is not null);
            _runs.Add(run);
        }

        return run;
    }
}

/// <summary>One run as <see cref="LiveRuns"/> shows it.</summary>
internal sealed class LiveRun
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Func<bool> _requiredStoreUnavailable;
    private long _ended;
    private RunStatus? _status;

    public LiveRun(PipelinePlan plan, IReadOnlyList<NodeStats> nodes, Func<bool> requiredStoreUnavailable)
    {
        Plan = plan;
        Nodes = nodes;
        _requiredStoreUnavailable = requiredStoreUnavailable;
    }

    public PipelinePlan Plan { get; }

    /// <summary>The nodes' counters, in plan order.</summary>
    public IReadOnlyList<NodeStats> Nodes { get; }

    /// <summary>Null while the run goes on; its outcome once it ended.</summary>
    public RunStatus? Status
    {
        get
        {
            lock (this)
            {
                return _status;
            }
        }
    }

    /// <summary>Time since the run started, or its length once it ended.</summary>
    public TimeSpan Elapsed
    {
        get
        {
            lock (this)
            {
                return Stopwatch.GetElapsedTime(_started, _status is null ? Stopwatch.GetTimestamp() : _ended);
            }
        }
    }

    public bool RequiredStoreUnavailable() => _requiredStoreUnavailable();

    public void Ended(RunStatus status)
    {
        lock (this)
        {
            _ended = Stopwatch.GetTimestamp();
            _status = status;
        }
    }
}
