namespace Flow.Redis.Streams;

/// <summary>
/// Names of the keys Flow keeps beside a stream. All of them start with the stream's hash tag, so they
/// hash to the stream's slot and one script may touch the stream and them together on a Redis Cluster:
/// a stream <c>events</c> has keys <c>{events}:flow:...</c>, and a stream that already carries a hash tag
/// (<c>{tenant1}.events</c>) keeps its tag (<c>{tenant1}:flow:...</c>).
/// </summary>
internal static class StreamKeys
{
    /// <summary>The part of <paramref name="key"/> Redis Cluster hashes: the text between the first <c>{</c> and the next <c>}</c> when not empty, else the whole key.</summary>
    public static string HashTag(string key)
    {
        var open = key.IndexOf('{', StringComparison.Ordinal);
        if (open >= 0)
        {
            var close = key.IndexOf('}', open + 1);
            if (close > open + 1)
            {
                return key[(open + 1)..close];
            }
        }

        return key;
    }

    /// <summary>
    /// Null when keys built from <paramref name="stream"/>'s tag hash as the stream does; otherwise why
    /// not (a name with braces that form no tag, which a derived key would turn into another tag).
    /// </summary>
    public static string? Problem(string stream)
    {
        var tag = HashTag(stream);
        return tag.Contains('{', StringComparison.Ordinal) || tag.Contains('}', StringComparison.Ordinal)
            ? $"'{stream}' holds '{{' or '}}' that form no Redis Cluster hash tag; use a name without braces, or one with a tag such as '{{tenant}}.events'"
            : null;
    }

    /// <summary>The prefix of every key Flow keeps for <paramref name="stream"/>: <c>{tag}:flow:</c>.</summary>
    public static string Prefix(string stream) => "{" + HashTag(stream) + "}:flow:";
}
