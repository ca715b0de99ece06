namespace Flow.Worker;

/// <summary>The parsed command line: a verb, its sub-command, <c>--config</c>, and everything else as configuration overrides.</summary>
internal sealed record CommandLine(string Verb, string? SubCommand, string? ConfigFile, string[] Overrides, bool Help)
{
    public static readonly string[] Verbs = { "run", "validate", "cache" };

    public static readonly string[] CacheCommands = { "stats", "clear", "gc", "explain" };

    /// <summary>Parses the arguments; returns null with an error message for a bad command line.</summary>
    public static CommandLine? Parse(string[] args, out string? error)
    {
        error = null;
        var rest = new List<string>(args);
        var verb = "run";
        string? sub = null;
        if (rest.Count > 0 && !rest[0].StartsWith('-'))
        {
            verb = rest[0].ToLowerInvariant();
            rest.RemoveAt(0);
            if (!Verbs.Contains(verb))
            {
                error = $"unknown command '{verb}' (expected {string.Join(", ", Verbs)})";
                return null;
            }

            if (verb == "cache")
            {
                if (rest.Count == 0 || rest[0].StartsWith('-') || !CacheCommands.Contains(rest[0].ToLowerInvariant()))
                {
                    error = $"flow cache needs one of: {string.Join(", ", CacheCommands)}";
                    return null;
                }

                sub = rest[0].ToLowerInvariant();
                rest.RemoveAt(0);
            }
        }

        var help = rest.Any(a => a is "-h" or "--help" or "-?");
        string? config = null;
        for (var i = 0; i < rest.Count; i++)
        {
            if (rest[i] == "--config")
            {
                if (i + 1 >= rest.Count)
                {
                    error = "--config needs a file";
                    return null;
                }

                config = rest[i + 1];
                rest.RemoveRange(i, 2);
                i--;
            }
            else if (rest[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                config = rest[i]["--config=".Length..];
                rest.RemoveAt(i);
                i--;
            }
        }

        for (var i = 0; i < rest.Count; i++)
        {
            var isSwitch = rest[i].StartsWith('-') || rest[i].StartsWith('/');
            var isSwitchValue = i > 0 && (rest[i - 1].StartsWith("--", StringComparison.Ordinal) || rest[i - 1].StartsWith('/')) && !rest[i - 1].Contains('=');
            if (!isSwitch && !isSwitchValue)
            {
                // Configuration's command-line provider would ignore it silently: `flow --config x validate`
                // would run the pipeline instead of validating it.
                error = $"unexpected argument '{rest[i]}' (the command comes first: flow {string.Join("|", Verbs)} [options])";
                return null;
            }
        }

        return new CommandLine(verb, sub, config, rest.Where(a => a is not ("-h" or "--help" or "-?")).ToArray(), help);
    }

    public const string Usage = """
        flow: streaming ETL pipelines with a step cache

        usage:
          flow [run] [--config FILE] [--pipeline NAME] [--use-cache=false] [--report FILE] [--Key=value ...]
          flow validate [--config FILE]
          flow cache stats|clear|gc|explain [--config FILE] [--pipeline NAME]

        Configuration: appsettings.json in the working folder, then --config FILE, then FLOW_/Flow__
        environment variables, then --Key=value overrides (e.g. --Flow:Pipelines:p:BatchSize=100).

        exit codes: 0 success, 1 a pipeline failed, 2 configuration error, 130/143 interrupted
        """;
}
