using System.CommandLine;

namespace Flow.Worker;

/// <summary>
/// The pass-through rule. The commands leave tokens they do not know unmatched
/// (<c>TreatUnmatchedTokensAsErrors = false</c>); of those, a configured command takes the
/// overrides, one token each, <c>--Section:Key=value</c> (a colon in the name, the value after
/// <c>=</c>), and hands them to configuration after files and environment variables. Any other
/// unmatched token is an error (<see cref="CommandLineErrors"/>), so a mistyped option never
/// becomes a key that nobody reads.
/// </summary>
/// <remarks>
/// The space form (<c>--Flow:Cache:Enabled false</c>) is not taken: which token is a value and which
/// is a command (<c>flow --Flow:Run:Pipeline validate</c>) would be a guess. It is an error that
/// shows the <c>=</c> form to write instead.
/// </remarks>
internal static class ConfigurationOverrides
{
    /// <summary>Whether <paramref name="token"/> is an override: <c>--Section:Key=value</c>.</summary>
    public static bool IsOverride(string token) => Split(token) is { Value: not null };

    /// <summary>Whether <paramref name="token"/> is an override without its <c>=value</c>: <c>--Section:Key</c>.</summary>
    public static bool LacksValue(string token) => Split(token) is { Value: null };

    /// <summary>The overrides of a parsed command line, in their order; none for a command that reads no configuration.</summary>
    public static IEnumerable<string> Of(ParseResult result) =>
        result.CommandResult.Command is VerbCommand ? result.UnmatchedTokens.Where(IsOverride) : [];

    private static (string Key, string? Value)? Split(string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal))
        {
            return null;
        }

        var equals = token.IndexOf('=', StringComparison.Ordinal);
        var key = equals < 0 ? token[2..] : token[2..equals];
        var segments = key.Split(':');
        if (segments.Length < 2 || segments.Any(s => s.Trim().Length == 0))
        {
            return null;
        }

        return (key, equals < 0 ? null : token[(equals + 1)..]);
    }
}
