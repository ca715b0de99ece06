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

    /// <summary>Lines in a file another process may be writing; 0 when it does not exist (yet).</summary>
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
}
