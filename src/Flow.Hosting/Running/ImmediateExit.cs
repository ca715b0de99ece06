using System.Runtime.InteropServices;

namespace Flow.Hosting.Running;

/// <summary>
/// Ends the process now, with an exit code. <see cref="Environment.Exit(int)"/> would run the
/// host's shutdown handlers, which wait for the very drain the user is cutting short.
/// </summary>
internal static class ImmediateExit
{
    public static void Now(int code)
    {
        Console.Error.Flush();
        if (OperatingSystem.IsWindows())
        {
            Environment.Exit(code);
        }

        Exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void Exit(int code);
}
