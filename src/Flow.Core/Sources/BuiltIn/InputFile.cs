using System.Runtime.InteropServices;

namespace Flow.Sources.BuiltIn;

/// <summary>Checks that an input file can be read, in words a user can act on, without opening it.</summary>
internal static class InputFile
{
    private const int ReadAccess = 4; // R_OK

    /// <summary>What stops <paramref name="path"/> from being read, or null when nothing does.</summary>
    public static string? Problem(string path)
    {
        if (Directory.Exists(path))
        {
            return $"'{path}' is a folder, not a file (to read every file in it, give a glob such as '{Path.Combine(path, "*.json")}')";
        }

        if (!File.Exists(path))
        {
            var folder = Path.GetDirectoryName(path);
            return folder is not null && !Directory.Exists(folder)
                ? $"'{path}' does not exist (no folder '{folder}')"
                : $"'{path}' does not exist";
        }

        if (OperatingSystem.IsWindows())
        {
            return null; // no access(2): the run reports a file it cannot open
        }

        return Access(path, ReadAccess) == 0
            ? null
            : $"'{path}' cannot be read ({new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError()).Message})";
    }

    [DllImport("libc", EntryPoint = "access", SetLastError = true)]
    private static extern int Access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
