using System.Diagnostics;

namespace Flow.Worker.Tests;

/// <summary>
/// A folder in which no entry can be created, removed or renamed until disposed, while files
/// already open in it can still be written. For an ordinary user that is mode 0555; root ignores
/// modes, so as root the folder is made immutable with <c>chattr +i</c> instead (ext4 and most
/// Linux file systems; CAP_LINUX_IMMUTABLE). It fails loudly when neither works.
/// </summary>
internal sealed class SealedFolder : IDisposable
{
    private readonly string _path;
    private readonly UnixFileMode _mode;
    private readonly bool _immutable;

    private SealedFolder(string path, UnixFileMode mode, bool immutable)
    {
        _path = path;
        _mode = mode;
        _immutable = immutable;
    }

    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>Seals <paramref name="path"/> and checks that a new file really cannot be made in it.</summary>
    public static SealedFolder Seal(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("sealing a folder is done with Unix modes or chattr");
        }

        var mode = File.GetUnixFileMode(path);
        SealedFolder sealedFolder;
        if (IsRoot)
        {
            Chattr("+i", path);
            sealedFolder = new SealedFolder(path, mode, immutable: true);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            sealedFolder = new SealedFolder(path, mode, immutable: false);
        }

        var probe = Path.Combine(path, ".probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllText(probe, "x");
        }
        catch (UnauthorizedAccessException)
        {
            return sealedFolder;
        }
        catch (IOException)
        {
            return sealedFolder;
        }

        File.Delete(probe);
        sealedFolder.Dispose();
        throw new InvalidOperationException($"could not seal {path}: a file could still be created in it");
    }

    public void Dispose()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (_immutable)
        {
            Chattr("-i", _path);
        }
        else
        {
            File.SetUnixFileMode(_path, _mode);
        }
    }

    private static void Chattr(string flag, string path)
    {
        var start = new ProcessStartInfo("chattr") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(flag);
        start.ArgumentList.Add(path);
        using var chattr = Process.Start(start) ?? throw new InvalidOperationException("chattr did not start");
        var error = chattr.StandardError.ReadToEnd();
        if (!chattr.WaitForExit(10_000) || chattr.ExitCode != 0)
        {
            throw new InvalidOperationException($"chattr {flag} {path} failed (running as root, a mode does not stop writes, so the test needs chattr): {error}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
