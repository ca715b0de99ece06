using System.Runtime.InteropServices;

namespace Flow.Worker.Tests;

/// <summary>A fresh working folder for one <c>flow</c> run, with helpers to write its configuration.</summary>
internal sealed class FlowWorkspace : IDisposable
{
    private readonly TempDirectory _directory = new();

    public string Path => _directory.Path;

    public string File(string name) => _directory.File(name);

    /// <summary>Writes <c>{"Flow": {"Pipelines": {NAME: pipelineJson}}}</c> to config.json and returns its path.</summary>
    public string WritePipeline(string pipelineJson, string name = "p")
    {
        var path = File("config.json");
        System.IO.File.WriteAllText(path, $$"""{ "Flow": { "Pipelines": { "{{name}}": {{pipelineJson}} } } }""");
        return path;
    }

    /// <summary>Writes <paramref name="json"/> as it is (a whole configuration, <c>Flow</c> section and all) to <paramref name="name"/> and returns its path.</summary>
    public string WriteConfig(string json, string name = "config.json") => WriteFile(name, json);

    /// <summary>Writes a file of the workspace (its folders made as needed) and returns its path.</summary>
    public string WriteFile(string name, string contents) => WriteFile(name, System.Text.Encoding.UTF8.GetBytes(contents));

    /// <summary>Writes a file of the workspace (its folders made as needed) and returns its path.</summary>
    public string WriteFile(string name, byte[] contents)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, contents);
        return path;
    }

    /// <summary>Makes a named pipe (mkfifo(3), mode 0600) in the workspace and returns its path.</summary>
    public string MakeFifo(string name)
    {
        var path = File(name);
        if (MakeFifo(path, Convert.ToUInt32("600", 8)) != 0)
        {
            throw new InvalidOperationException($"mkfifo({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return path;
    }

    /// <summary>The publish journal a run of <paramref name="pipeline"/> keeps while it renames its outputs into place.</summary>
    public string PublishJournal(string pipeline = "p") => File(System.IO.Path.Combine(".flow", "publish", $"pipeline.{pipeline}.json"));

    /// <summary>Lines in a file another process may be writing; 0 when it does not exist (yet).</summary>
    /// <summary>A step's hits and misses in the <c>--report</c> JSON <paramref name="report"/> of this workspace.</summary>
    public (long Hits, long Misses) ReportedCounts(string report, string pipeline, string step)
    {
        using var document = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllBytes(File(report)));
        var node = document.RootElement.GetProperty("pipelines").GetProperty(pipeline).GetProperty("nodes").GetProperty(step);
        return (node.GetProperty("hits").GetInt64(), node.GetProperty("misses").GetInt64());
    }

    public static long LineCount(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var count = 0L;
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                count += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            return count;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    public void Dispose() => _directory.Dispose();

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);
}
