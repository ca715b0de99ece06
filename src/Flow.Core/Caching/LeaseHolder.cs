using System.Globalization;

namespace Flow.Caching;

/// <summary>
/// Who holds a lease, written into it: this machine, its boot, its process-id namespace, the process
/// id and the process's start time. A worker that finds a lease taken can then tell a holder that is
/// gone (killed, crashed: the same worker started again) from a live one, when the holder ran on its
/// own machine, and take the lease over at once instead of waiting for it to lapse.
/// </summary>
/// <remarks>
/// Only a holder of this machine, this boot and this process-id namespace is ever judged, and only
/// on Linux (from <c>/proc</c>): a process id names the same process there, and its start time tells
/// a reused id from the holder. Any other holder (another machine or container, or a lease written
/// by an earlier Flow) is never taken for gone: its lease lapses after its life, as before.
/// </remarks>
internal static class LeaseHolder
{
    private const char Separator = '/';
    private const string Unknown = "-";

    private static readonly string Host = Environment.MachineName.Replace(Separator, '_');
    private static readonly string? Boot = OperatingSystem.IsLinux() ? Read("/proc/sys/kernel/random/boot_id")?.Trim() : null;
    private static readonly string? PidNamespace = OperatingSystem.IsLinux() ? LinkTarget("/proc/self/ns/pid") : null;

    /// <summary>This process, as a lease names its holder.</summary>
    public static string Current { get; } = string.Join(
        Separator,
        Host,
        Boot ?? Unknown,
        PidNamespace ?? Unknown,
        Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        StartTime(Environment.ProcessId)?.ToString(CultureInfo.InvariantCulture) ?? Unknown);

    /// <summary>
    /// Whether <paramref name="holder"/> (a <see cref="Current"/> of some process) is a process of this
    /// machine that is no longer running: its process id is free, taken by a later process, or a zombie.
    /// False whenever that cannot be told for sure.
    /// </summary>
    public static bool IsGone(string holder)
    {
        if (holder == Current)
        {
            return false; // this process (a lease it renews, or one of its batches met twice): no /proc read
        }

        var parts = holder.Split(Separator);
        if (parts.Length != 5 || Boot is null || PidNamespace is null
            || parts[0] != Host || parts[1] != Boot || parts[2] != PidNamespace
            || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var started))
        {
            return false;
        }

        var stat = Read($"/proc/{pid}/stat");
        if (stat is null)
        {
            // No such process any more; unless /proc cannot be read at all, where nothing can be told.
            return Directory.Exists("/proc/self");
        }

        if (Fields(stat) is not { } fields || StartTicks(fields) is not { } ticks)
        {
            return false;
        }

        // A zombie is dead, waiting for its parent; a different start is a later process under the same id.
        return fields[0] == "Z" || ticks != started;
    }

    /// <summary>A process's start, in clock ticks since boot (field 22 of <c>/proc/{pid}/stat</c>); null when unknown.</summary>
    private static long? StartTime(int pid) =>
        OperatingSystem.IsLinux() && Read($"/proc/{pid}/stat") is { } stat && Fields(stat) is { } fields ? StartTicks(fields) : null;

    private static long? StartTicks(string[] fields) =>
        fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;

    // The fields after "pid (command)": the command may hold spaces and parentheses, so cut at the last ')'.
    private static string[]? Fields(string stat)
    {
        var end = stat.LastIndexOf(')');
        return end < 0 ? null : stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
