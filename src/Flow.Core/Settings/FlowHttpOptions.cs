namespace Flow;

/// <summary>
/// The worker's HTTP endpoints (<c>Flow:Http</c>): <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>
/// (Prometheus text of the <c>Flow</c> meter), <c>/api/status</c> and the status page <c>/</c>. Off by default.
/// </summary>
public sealed class FlowHttpOptions
{
    /// <summary>
    /// Where to listen, e.g. <c>http://127.0.0.1:9090</c>; several separated by <c>;</c>. Plain
    /// <c>http</c> only, no path. Null (default) serves nothing. <c>http://0.0.0.0:9090</c> listens
    /// on every interface (in a container, for Kubernetes probes).
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>The URLs of <paramref name="urls"/>, or the first problem with them (in words that name no key).</summary>
    internal static (IReadOnlyList<string> Urls, string? Problem) Parse(string urls)
    {
        var list = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length == 0)
        {
            return ([], "is empty; give a URL such as http://127.0.0.1:9090, or leave it unset to serve nothing");
        }

        foreach (var url in list)
        {
            // Kestrel's "any address" forms are not host names Uri accepts.
            var checkable = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(checkable, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return ([], $"'{url}' is not a URL such as http://127.0.0.1:9090");
            }

            if (uri.Scheme == "https")
            {
                return ([], $"'{url}': only http is served (put TLS in front, e.g. in the ingress)");
            }

            if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            {
                return ([], $"'{url}' has a path, query or user; give only scheme, host and port, e.g. http://127.0.0.1:9090");
            }
        }

        return (list, null);
    }
}
