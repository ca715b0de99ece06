using System.Text.Json;
using Flow.Pipelines;

namespace Flow.Caching;

/// <summary>
/// Explains, step by step, why a step will hit or miss compared with the last run: its own
/// signature changed (which part, which parameter), or an upstream step changed, so its input may
/// change too, or nothing changed.
/// </summary>
internal static class SignatureExplainer
{
    public static IReadOnlyList<string> Explain(PipelinePlan plan, PipelineSignatures? last)
    {
        var lines = new List<string>();
        if (last is null)
        {
            lines.Add($"pipeline {plan.Name}: no earlier run recorded in this cache store; every step will compute its batches");
            return lines;
        }

        lines.Add($"pipeline {plan.Name}: compared with the run of {last.SavedAt:yyyy-MM-dd HH:mm:ss} UTC");
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in plan.Nodes.Where(n => n.Kind == NodeKind.Step))
        {
            var signature = StepSignature.For(plan.Validated[node.Name]);
            var upstream = Upstream(node).Where(changed.Contains).ToList();
            string verdict;
            if (!node.Definition.UseCache)
            {
                verdict = "UseCache is false: always computed (results still written back)";
                changed.Add(node.Name);
            }
            else if (!last.Steps.TryGetValue(node.Name, out var before))
            {
                verdict = "new step: computes every batch";
                changed.Add(node.Name);
            }
            else if (before.Hash == signature.Hash && CacheWorth.NotWorthIt(node.Definition, before) is { } reason)
            {
                verdict = "unchanged, but " + reason;
            }
            else if (before.Hash == signature.Hash)
            {
                verdict = upstream.Count == 0
                    ? "unchanged: hits wherever its input is unchanged"
                    : $"unchanged, but upstream {string.Join(", ", upstream)} changed: hits only where its input bytes come out the same";
            }
            else
            {
                verdict = "signature changed: " + string.Join("; ", Differences(before.SignatureJson, signature.Json));
                changed.Add(node.Name);
            }

            lines.Add($"  {node.Name}: {verdict}");
        }

        foreach (var removed in last.Steps.Keys.Where(k => plan.Nodes.All(n => n.Name != k)))
        {
            lines.Add($"  {removed}: no longer in the pipeline");
        }

        return lines;
    }

    private static IEnumerable<string> Upstream(PlannedNode node)
    {
        var seen = new HashSet<PlannedNode>();
        var stack = new Stack<PlannedNode>(node.Inputs);
        while (stack.Count > 0)
        {
            var input = stack.Pop();
            if (seen.Add(input))
            {
                yield return input.Name;
                foreach (var further in input.Inputs)
                {
                    stack.Push(further);
                }
            }
        }
    }

    private static IEnumerable<string> Differences(string beforeJson, string afterJson)
    {
        var before = Flatten(beforeJson);
        var after = Flatten(afterJson);
        foreach (var (path, value) in after)
        {
            if (!before.TryGetValue(path, out var old))
            {
                yield return $"{Describe(path)} added ({value})";
            }
            else if (old != value)
            {
                yield return $"{Describe(path)} changed from {old} to {value}";
            }
        }

        foreach (var (path, old) in before.Where(b => !after.ContainsKey(b.Key)))
        {
            yield return $"{Describe(path)} removed (was {old})";
        }
    }

    private static string Describe(string path) => path switch
    {
        "type" => "Type",
        "version" => "Version",
        "format" => "cache format version",
        _ when path.StartsWith("contents:", StringComparison.Ordinal) => $"contents of Params:{path["contents:".Length..]}",
        _ when path.StartsWith("params", StringComparison.Ordinal) => "Params" + path["params".Length..],
        _ => path,
    };

    private static Dictionary<string, string> Flatten(string json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        Walk(document.RootElement, string.Empty, result);
        return result;
    }

    private static void Walk(JsonElement element, string path, Dictionary<string, string> result)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, path.Length == 0 ? property.Name : $"{path}:{property.Name}", result);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{path}:{i++}", result);
                }

                break;
            case JsonValueKind.String:
                result[path] = $"'{element.GetString()}'";
                break;
            default:
                result[path] = element.GetRawText();
                break;
        }
    }
}
