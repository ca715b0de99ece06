namespace Flow.Parameters;

/// <summary>Finds the valid name a user most likely meant, for "did you mean" hints on unknown keys and values.</summary>
internal static class Suggestions
{
    /// <summary>The closest of <paramref name="valid"/> to <paramref name="unknown"/> (ignoring case), or null when none is close.</summary>
    public static string? Nearest(string unknown, IEnumerable<string> valid)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in valid)
        {
            var distance = Distance(unknown.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // Close enough to be a typo: a third of the longer name, at least two edits.
        return best is not null && bestDistance <= Math.Max(2, Math.Max(unknown.Length, best.Length) / 3) ? best : null;
    }

    /// <summary>" (did you mean 'X'?)" when a valid name is close, else an empty string.</summary>
    public static string DidYouMean(string unknown, IEnumerable<string> valid) =>
        Nearest(unknown, valid) is { } nearest ? $" (did you mean '{nearest}'?)" : string.Empty;

    /// <summary>Edit distance with adjacent transpositions (optimal string alignment).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
