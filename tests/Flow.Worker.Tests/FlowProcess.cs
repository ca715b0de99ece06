using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Flow.Worker.Tests;

/// <summary>
/// The real <c>flow</c> executable (flow.dll next to the tests, run with <c>dotnet</c>) in its own
/// working folder: output captured as it comes, exit awaited with a deadline, signals sent with
/// kill(2). Disposing kills the process tree if it is still running, so a failed test leaves nothing behind.
/// </summary>
internal sealed class FlowProcess : IAsyncDisposable
{
    public const int SigInt = 2;

    public const int SigKill = 9;

    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private FlowProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>flow ARGS</c> in <paramref name="workingDirectory"/>, with no FLOW_/Flow__ variables inherited.</summary>
    public static FlowProcess Start(string workingDirectory, params string[] args) =>
        Start(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>
    /// Starts <c>flow ARGS</c> in <paramref name="workingDirectory"/> with no FLOW_/Flow__ variables
    /// inherited, and with <paramref name="environment"/> set (e.g. <c>FLOW_Cache__Store</c>).
    /// </summary>
    public static FlowProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartProgram("flow.dll", workingDirectory, environment, args);

    /// <summary>
    /// Starts another program built next to the tests (a sample the test project references, e.g.
    /// <c>CSharpPipeline.dll</c>) as <see cref="Start(string, IReadOnlyDictionary{string, string}, string[])"/> starts flow.
    /// </summary>
    public static FlowProcess StartProgram(string program, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var flowDll = Path.Combine(AppContext.BaseDirectory, program);
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(flowDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("FLOW_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Flow__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var flow = new FlowProcess(process);
        process.OutputDataReceived += (_, e) => Append(flow._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(flow._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return flow;
    }

    /// <summary>Runs <c>flow ARGS</c> to its end (killed after <paramref name="timeout"/>) and returns it, exited.</summary>
    public static Task<FlowProcess> RunAsync(string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunAsync(workingDirectory, timeout, new Dictionary<string, string>(), args);

    /// <summary>Runs <c>flow ARGS</c> with <paramref name="environment"/> set, to its end (killed after <paramref name="timeout"/>).</summary>
    public static async Task<FlowProcess> RunAsync(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var flow = Start(workingDirectory, environment, args);
        try
        {
            await flow.WaitForExitAsync(timeout);
            return flow;
        }
        catch
        {
            await flow.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for the exit (and the end of its output); on timeout kills the process and throws.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"flow did not exit within {timeout}; stderr so far:{Environment.NewLine}{StandardError}");
        }

        return _process.ExitCode;
    }

    public int ExitCode => _process.ExitCode;

    public bool HasExited => _process.HasExited;

    /// <summary>Polls <paramref name="condition"/> until it holds; throws (with the process's stderr) after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {timeout}; stderr:{Environment.NewLine}{StandardError}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Sends a signal (e.g. <see cref="SigTerm"/>) to the process.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // Nothing more to do: it was killed.
        }

        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
