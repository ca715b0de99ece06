using System.CommandLine;
using System.CommandLine.Parsing;
using Flow.Parameters;

namespace Flow.Worker;

/// <summary>
/// What is wrong with a command line, one line per problem in Flow's words: System.CommandLine's
/// own errors (an option without its value, an option given twice...) and every unmatched
/// token that is not a configuration override (an unknown option or command, a stray argument),
/// with a "did you mean" when a name is close, as configuration errors have.
/// </summary>
/// <remarks>
/// Not System.CommandLine's ParseErrorAction: it writes its suggestions to standard output and
/// returns 1, where a bad command line in Flow is a configuration error (exit 2, on stderr).
/// </remarks>
internal static class CommandLineErrors
{
    /// <summary>The problems of <paramref name="result"/>; empty when the command line is good.</summary>
    public static IReadOnlyList<string> Describe(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var problems = new List<string>();
        foreach (var error in result.Errors)
        {
            problems.Add(error.SymbolResult is OptionResult { Tokens.Count: 0, Option.Arity.MinimumNumberOfValues: > 0 } option
                ? NeedsValue(option.Option, option.IdentifierToken?.Value)
                : Lower(error.Message.TrimEnd('.')));
        }

        var command = result.CommandResult.Command;
        var configured = command is VerbCommand;
        var unmatched = result.UnmatchedTokens;
        for (int i = 0, position = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            var previous = TokenBefore(result.Tokens, token, ref position);
            if (configured && ConfigurationOverrides.IsOverride(token))
            {
                continue;
            }

            if (configured && ConfigurationOverrides.LacksValue(token))
            {
                // Most likely the space form: take the next token as the value it was meant to be.
                var value = i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith('-') ? unmatched[++i] : "VALUE";
                problems.Add($"override '{token}' has no value: write {token}={value} (overrides take the form --Section:Key=value, one argument)");
                continue;
            }

            problems.Add(token.StartsWith('-') ? UnknownOption(token, command) : Unexpected(token, previous, command));
        }

        return problems;
    }

    /// <summary>"unknown command 'valdate' for 'flow' (did you mean 'validate'?)", or the list of its commands.</summary>
    public static string UnknownCommand(string name, Command command)
    {
        var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        var hint = Suggestions.Nearest(name, names) is { } nearest ? $" (did you mean '{nearest}'?)" : $" (commands: {string.Join(", ", names)})";
        return $"unknown command '{name}' for '{PathOf(command)}'{hint}";
    }

    /// <summary>"option '--pipeline' needs a value: --pipeline NAME".</summary>
    public static string NeedsValue(Option option, string? spelledAs = null)
    {
        var name = spelledAs ?? option.Name;
        return $"option '{name}' needs a value: {name} {option.HelpName ?? "VALUE"}";
    }

    /// <summary>"flow cache stats": the command with the commands above it.</summary>
    public static string PathOf(Command command) => string.Join(' ', Ancestors(command).Reverse().Select(c => c.Name));

    private static string UnknownOption(string token, Command command)
    {
        var name = token.Split('=')[0];
        var elsewhere = Descendants(Ancestors(command).Last()).Where(c => Find(c.Options, name) is not null).Select(PathOf).ToList();
        var hint = elsewhere.Count > 0 ? $" (an option of '{string.Join("', '", elsewhere)}')"
            : Suggestions.DidYouMean(name, OptionNames(command)) is { Length: > 0 } didYouMean ? didYouMean
            : !token.Contains('=', StringComparison.Ordinal) ? string.Empty
            : command is VerbCommand ? "; a configuration override takes the form --Section:Key=value"
            : $"; '{PathOf(command)}' reads no configuration";
        return $"unknown option '{name}' for '{PathOf(command)}'{hint}";
    }

    // A word no command takes: a mistyped command, or one too many (after an option, its value
    // or the value of a mistyped one: not a command).
    private static string Unexpected(string token, Token? previous, Command command)
    {
        return command.Subcommands.Count > 0 && !(previous?.Value.StartsWith('-') ?? false)
            ? UnknownCommand(token, command)
            : $"unexpected argument '{token}' for '{PathOf(command)}'";
    }

    // The token before the next occurrence of an unmatched one, from position on.
    private static Token? TokenBefore(IReadOnlyList<Token> tokens, string unmatched, ref int position)
    {
        while (position < tokens.Count && tokens[position].Value != unmatched)
        {
            position++;
        }

        var previous = position > 0 && position <= tokens.Count ? tokens[position - 1] : null;
        position++;
        return previous;
    }

    private static Option? Find(IEnumerable<Option> options, string name) => options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));

    // System.CommandLine's messages start with a capital; Flow's, like the rest of a line after "flow: ", do not.
    private static string Lower(string message) => message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : message;

    // The long names a command takes, its own and those its parents pass down (--config, --help).
    private static IEnumerable<string> OptionNames(Command command)
    {
        var own = command.Options.Where(o => !o.Hidden).Select(o => o.Name);
        var inherited = command.Parents.OfType<Command>().SelectMany(Ancestors).SelectMany(c => c.Options).Where(o => o.Recursive && !o.Hidden).Select(o => o.Name);
        return own.Concat(inherited).Distinct(StringComparer.Ordinal);
    }

    private static IEnumerable<Command> Descendants(Command command) => command.Subcommands.SelectMany(Descendants).Prepend(command);

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            yield return c;
        }
    }
}
