using Flow.Parameters;

namespace Flow.Sources.BuiltIn;

/// <summary>
/// Resolves a source's <c>Path</c>: one file, or a glob (<c>*</c>, <c>?</c> in the file name) for
/// several files in name order. Each file is checked (exists, is not a folder, may be read) without
/// opening it: opening a FIFO or /dev/stdin to check it would take data that the run then never sees.
/// </summary>
internal static class FileGlob
{
    public static IReadOnlyList<string> Resolve(NodeParameters parameters, string name = "Path")
    {
        var path = parameters.GetPath(name) ?? throw parameters.Error(name, "is required");
        var fileName = Path.GetFileName(path);
        List<string> files;
        if (fileName.IndexOfAny(new[] { '*', '?' }) >= 0)
        {
            var directory = Path.GetDirectoryName(path)!;
            if (directory.IndexOfAny(new[] { '*', '?' }) >= 0)
            {
                throw parameters.Error(name, "wildcards are allowed in the file name only, not in folders");
            }

            files = Directory.Exists(directory)
                ? Directory.GetFiles(directory, fileName).OrderBy(f => f, StringComparer.Ordinal).ToList()
                : new List<string>();
            if (files.Count == 0)
            {
                throw parameters.Error(name, $"no file matches '{path}'");
            }
        }
        else
        {
            files = new List<string> { path };
        }

        foreach (var file in files)
        {
            if (InputFile.Problem(file) is { } problem)
            {
                throw parameters.Error(name, problem);
            }
        }

        parameters.DeclareInputFiles(files);
        return files;
    }

    public static FileStream OpenRead(string file) =>
        new(file, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 1 << 16 });
}
