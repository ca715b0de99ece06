using System.Globalization;
using Flow.Caching;

namespace Flow.Tests.Caching;

/// <summary>Lease holders for tests: processes of this machine, made up or real, as <see cref="LeaseHolder.Current"/> writes them.</summary>
internal static class TestLeaseHolders
{
    /// <summary>A process of this machine that cannot be running: its id is pid_max, which Linux never hands out.</summary>
    public static string Gone() => Of(int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), CultureInfo.InvariantCulture), start: 1);

    /// <summary>The process <paramref name="pid"/> of this machine, started at <paramref name="start"/> (clock ticks since boot).</summary>
    public static string Of(int pid, long start)
    {
        var parts = LeaseHolder.Current.Split('/');
        return string.Join('/', parts[0], parts[1], parts[2], pid.ToString(CultureInfo.InvariantCulture), start.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>When process <paramref name="pid"/> started, in clock ticks since boot (field 22 of /proc/{pid}/stat).</summary>
    public static long StartOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
    }
}
