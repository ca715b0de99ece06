using System.Text;
using System.Text.RegularExpressions;

namespace Flow.Worker.Tests.Samples;

/// <summary>
/// A sample's README as a test reads it: the commands of its <c>sh</c> blocks (shell words, with
/// quotes and line continuations), and its plain code blocks (what the output looks like), so a
/// test runs exactly what the README tells a user to run and checks what it says they will see.
/// </summary>
internal sealed partial class SampleReadme
{
    private readonly string _text;

    private SampleReadme(string text) => _text = text.Replace("\r\n", "\n", StringComparison.Ordinal);

    public static SampleReadme Of(string sample) =>
        new(File.ReadAllText(Path.Combine(TestData.RepoRoot, "samples", sample, "README.md")));

    /// <summary>The sample's folder and the shared data, where the README's paths (from the repository root) find them.</summary>
    public static void CopySample(FlowWorkspace workspace, string sample)
    {
        foreach (var folder in new[] { Path.Combine("samples", "data"), Path.Combine("samples", sample) })
        {
            var from = Path.Combine(TestData.RepoRoot, folder);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories)
                         .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                                     && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            {
                workspace.WriteFile(Path.Combine(folder, Path.GetRelativePath(from, file)), File.ReadAllBytes(file));
            }
        }
    }

    /// <summary>Every command in the <c>sh</c> blocks, as argument lists (continuations joined).</summary>
    public IReadOnlyList<string[]> Commands() =>
        Blocks("sh").SelectMany(block => block.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n'))
            .Where(line => line.Trim().Length > 0 && !line.TrimStart().StartsWith('#'))
            .Select(ShellWords)
            .ToList();

    /// <summary>The <c>flow</c> arguments of each <c>dotnet run --project src/Flow.Worker [--no-build] -- ...</c> command, in order.</summary>
    public IReadOnlyList<string[]> FlowCommands() =>
        Commands().Where(c => c.Length >= 5 && c[0] == "dotnet" && c[1] == "run" && c[2] == "--project" && c[3] == "src/Flow.Worker"
                              && Array.IndexOf(c, "--") is var dashes and >= 4 && c[4..dashes].All(o => o == "--no-build"))
            .Select(c => c[(Array.IndexOf(c, "--") + 1)..])
            .ToList();

    /// <summary>The lines of every plain (untagged) code block.</summary>
    public IReadOnlyList<string> OutputLines() => Blocks("").SelectMany(b => b.Split('\n')).Where(l => l.Length > 0).ToList();

    private IEnumerable<string> Blocks(string language) =>
        Fence().Matches(_text).Where(m => m.Groups["lang"].Value == language).Select(m => m.Groups["body"].Value);

    // Shell words as bash splits a simple command: blanks separate, '...' is literal, "..." keeps
    // its spaces (with \" and \\ escapes), a backslash outside quotes escapes the next character.
    private static string[] ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case ' ' or '\t':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    word.Append(line, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    for (i++; line[i] != '"'; i++)
                    {
                        if (line[i] == '\\' && line[i + 1] is '"' or '\\' or '$')
                        {
                            i++;
                        }

                        word.Append(line[i]);
                    }

                    inWord = true;
                    break;
                case '\\':
                    word.Append(line[++i]);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return [.. words];
    }

    [GeneratedRegex(@"^```(?<lang>[a-z]*)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();
}
