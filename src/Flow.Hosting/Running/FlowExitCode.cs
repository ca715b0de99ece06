using Flow.Hosting.Running;

namespace Flow;

/// <summary>
/// The exit code a run earned: 0 success, 1 a pipeline failed, 2 configuration error, 130/143
/// interrupted by Ctrl-C/SIGTERM. A host's <c>RunAsync</c> returns normally whatever happened
/// inside a BackgroundService, so the worker records the outcome here for the program to return.
/// </summary>
public sealed class FlowExitCode
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>A pipeline failed.</summary>
    public const int Failed = 1;

    /// <summary>Bad configuration; nothing ran.</summary>
    public const int ConfigurationError = 2;

    /// <summary>Interrupted by Ctrl-C (SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>Interrupted by SIGTERM.</summary>
    public const int Terminated = 143;

    private int _value = -1;
    private int _signal;
    private int _signals;

    /// <summary>
    /// The code to exit with. When the run never recorded an outcome (the host gave up waiting for
    /// it at the end of its shutdown timeout), it is the interrupted code if a signal stopped the
    /// host, else <see cref="Failed"/>: never a success that did not happen.
    /// </summary>
    public int Value => Volatile.Read(ref _value) is >= 0 and var value
        ? value
        : Volatile.Read(ref _signal) != 0 ? InterruptedCode : Failed;

    internal bool SignalledByTerm => Volatile.Read(ref _signal) == Terminated;

    internal void Set(int code) => Volatile.Write(ref _value, code);

    /// <summary>Records which signal asked the host to stop, so an interrupted run exits 130 or 143; returns how many signals came so far.</summary>
    internal int RecordSignal(int code)
    {
        Interlocked.CompareExchange(ref _signal, code, 0);
        return Interlocked.Increment(ref _signals);
    }

    internal int InterruptedCode => Volatile.Read(ref _signal) == Interrupted ? Interrupted : Terminated;
}
