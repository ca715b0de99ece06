using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Flow.Perf.Scenarios;

/// <summary>One finished child process: wall time, CPU (user + system), peak resident set, output.</summary>
internal sealed record ChildRun(double Seconds, double CpuSeconds, double PeakMB, string Stdout, string Stderr);

/// <summary>
/// Starts a program as its own process (<c>dotnet some.dll ...</c>), waits for it and measures it the way
/// a user's <c>time</c> would: wall clock from start to exit, CPU of the waited-for child
/// (<c>getrusage(RUSAGE_CHILDREN)</c> before and after), and its peak working set (VmHWM of
/// <c>/proc/PID/status</c>, polled every 10 ms while it runs).
/// </summary>
internal static class ChildProcess
{
    public static async Task<ChildRun> RunAsync(string dll, IEnumerable<string> args, string workingFolder, string what, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The machine's own Flow settings (FLOW_*, Flow__*) must not leak into a measured run.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("FLOW_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Flow__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var cpuBefore = StreamScenario.ChildrenCpu();
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{what}: cannot start dotnet {dll}");
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var peakKb = 0L;
        var exited = process.WaitForExitAsync();
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout ?? TimeSpan.FromMinutes(15)).TotalSeconds * Stopwatch.Frequency;
        while (!exited.IsCompleted)
        {
            peakKb = Math.Max(peakKb, HighWaterMarkKb(process.Id));
            if (Stopwatch.GetTimestamp() > deadline)
            {
                process.Kill();
                throw new InvalidOperationException($"{what}: still running after {timeout ?? TimeSpan.FromMinutes(15)}; killed");
            }

            await Task.WhenAny(exited, Task.Delay(10)).ConfigureAwait(false);
        }

        await exited.ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = StreamScenario.ChildrenCpu() - cpuBefore;
        process.WaitForExit(); // the output handlers have seen the last line
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what}: dotnet {Path.GetFileName(dll)} exited {process.ExitCode}: {stderr}{stdout}");
        }

        return new ChildRun(elapsed.TotalSeconds, cpu.TotalSeconds, peakKb / 1024.0, stdout.ToString(), stderr.ToString());
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.AppendLine(line);
            }
        }
    }

    /// <summary>VmHWM (peak resident set, KB) of a running process; 0 when it is gone or not on Linux.</summary>
    private static long HighWaterMarkKb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process has just exited.
        }

        return 0;
    }
}
