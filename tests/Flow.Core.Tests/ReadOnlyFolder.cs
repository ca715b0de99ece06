using System.Diagnostics;

namespace Flow.Tests;

/// <summary>
/// Makes a folder read-only for the test process, and writable again on dispose: by permissions
/// (mode 555) for an ordinary user, and with the immutable attribute (<c>chattr +i</c>) when the
/// tests run as root, which ignores permissions. Fails loudly when neither works here.
/// </summary>
internal sealed class ReadOnlyFolder : IDisposable
{
    private const UnixFileMode Writable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly bool _immutable;

    private ReadOnlyFolder(string path, bool immutable)
    {
        Path = path;
        _immutable = immutable;
    }

    public string Path { get; }

    public static ReadOnlyFolder Make(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("ReadOnlyFolder uses Unix file modes.");
        }

        File.SetUnixFileMode(path, ReadOnly);
        if (!CanCreateIn(path))
        {
            return new ReadOnlyFolder(path, immutable: false);
        }

        Chattr("+i", path);
        if (!CanCreateIn(path))
        {
            return new ReadOnlyFolder(path, immutable: true);
        }

        File.SetUnixFileMode(path, Writable);
        throw new InvalidOperationException(
            $"Cannot make '{path}' read-only: the tests run as root and chattr +i does not take here (no CAP_LINUX_IMMUTABLE?).");
    }

    public void Dispose()
    {
        if (_immutable)
        {
            Chattr("-i", Path);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, Writable);
        }
    }

    private static bool CanCreateIn(string folder)
    {
        var probe = System.IO.Path.Combine(folder, ".probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Chattr(string flag, string path)
    {
        var start = new ProcessStartInfo("chattr") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(flag);
        start.ArgumentList.Add(path);
        try
        {
            using var process = Process.Start(start)!;
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No chattr: the probe after it says whether the folder is read-only.
        }
    }
}
