using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Flow.Batches;
using Flow.Execution;
using Flow.Parameters;
using Flow.Serialization;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Flow.Steps.BuiltIn;

/// <summary>
/// Step <c>Http</c>: calls an HTTP endpoint, the expensive enrichment the cache exists for.
/// <c>Batch</c> mode (the default) sends the batch's records as one JSON array and the answer, a JSON
/// array of objects, replaces the batch. <c>Record</c> mode makes one request per record, at most
/// <c>MaxConcurrency</c> at once, with <c>{field}</c> placeholders in <c>Url</c> filled from the record
/// (URL-encoded); the answer's JSON object is merged into the record, or put whole under <c>Into</c>.
/// Output keeps input order.
/// </summary>
/// <remarks>
/// <para>
/// The client comes from <see cref="IHttpClientFactory"/> (the named client <see cref="ClientName"/>,
/// which <c>AddFlow</c> registers, so a host can give it a proxy or certificates). Resilience is not
/// the factory's standard handler but a <see cref="ResiliencePipeline{T}"/> each step builds from
/// Microsoft.Extensions.Http.Resilience's <see cref="HttpRetryStrategyOptions"/> and
/// <see cref="HttpTimeoutStrategyOptions"/>: one named client carries one handler chain, while each
/// step has its own <c>Timeout</c>, <c>Retries</c> and <c>RetryDelay</c>. The pipeline is, outside in:
/// a total timeout (every attempt's timeout plus the longest backoff between them, so a step never
/// waits unbounded), retries with exponential backoff and jitter on what the options call transient
/// (5xx, 408, 429, <see cref="HttpRequestException"/>, an attempt's timeout), honouring
/// <c>Retry-After</c>, then the attempt's timeout. There is no circuit breaker: a step whose endpoint
/// keeps failing fails its batch, which stops the run or goes to its error sink.
/// </para>
/// <para>
/// <c>Headers</c> values may name environment variables as <c>${NAME}</c> (anywhere in the value:
/// <c>Bearer ${API_TOKEN}</c>), read once when the step is built; an unset variable is a
/// configuration error naming it. Header values appear in no log line and no message, and join the
/// cache signature only as the SHA-256 of the resolved headers: a new key invalidates the cache
/// without the key being stored. <c>Timeout</c>, <c>Retries</c>, <c>RetryDelay</c> and
/// <c>MaxConcurrency</c> stay out of the signature: they decide how hard the step tries, not what
/// it outputs. URLs in messages lose their query (<c>?…</c>), where keys are often passed.
/// </para>
/// </remarks>
internal sealed partial class HttpStep : IStep, IRecordIsolatingStep
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client the step uses.</summary>
    public const string ClientName = "Flow.Http";

    /// <summary>Its behaviour version: its own, and the JSON reader's (it decides the values an answer gives).</summary>
    public static readonly string Behaviour = $"1+json.{JsonRecordReader.BehaviourVersion}";

    /// <summary>The parameters it takes.</summary>
    public static readonly string[] Parameters = ["Url", "Method", "Mode", "Timeout", "Retries", "RetryDelay", "MaxConcurrency", "Headers", "Into"];

    private const int BodyExcerptBytes = 200;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _clients;
    private readonly ILogger _logger;
    private readonly HttpMode _mode;
    private readonly HttpMethod _method;
    private readonly UrlTemplate _url;
    private readonly TimeSpan _timeout;
    private readonly int _retries;
    private readonly int _maxConcurrency;
    private readonly string? _into;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly ResiliencePipeline<HttpResponseMessage> _resilience;

    public HttpStep(NodeParameters parameters, IHttpClientFactory? clients, ILogger logger)
    {
        // Every parameter is asked for before any can fail, so none is reported as unknown.
        var url = parameters.GetString("Url");
        var method = parameters.GetString("Method");
        var mode = parameters.GetString("Mode", nameof(HttpMode.Batch))!;
        var timeout = parameters.GetDuration("Timeout") ?? TimeSpan.FromSeconds(30);
        _retries = parameters.GetInt32("Retries", 3, min: 0, max: 100);
        var retryDelay = parameters.GetDuration("RetryDelay") ?? TimeSpan.FromSeconds(1);
        var hasConcurrency = parameters.Has("MaxConcurrency");
        _maxConcurrency = parameters.GetInt32("MaxConcurrency", 4, min: 1, max: 1024);
        var headers = parameters.GetMap("Headers");
        _into = parameters.GetString("Into");
        parameters.LeaveOutOfSignature("Timeout", "Retries", "RetryDelay", "MaxConcurrency");

        if (!Enum.TryParse(mode, ignoreCase: true, out _mode) || int.TryParse(mode, out _))
        {
            throw parameters.Error("Mode", $"'{mode}' is not Batch or Record");
        }

        _url = UrlTemplate.Parse(parameters, url);
        if (_mode == HttpMode.Batch)
        {
            if (_url.Fields.Count > 0)
            {
                throw parameters.Error("Url", $"{{{_url.Fields[0]}}} placeholders are filled from a record: they need Mode Record");
            }

            if (_into is not null)
            {
                throw parameters.Error("Into", "applies only in Mode Record (in Batch mode the answer replaces the batch)");
            }

            if (hasConcurrency)
            {
                throw parameters.Error("MaxConcurrency", "applies only in Mode Record (a batch is one request; set the step's Parallelism instead)");
            }
        }
        else if (_into is not null && string.IsNullOrWhiteSpace(_into))
        {
            throw parameters.Error("Into", "is empty: name a field, or leave Into out to merge the answer into the record");
        }

        _method = ParseMethod(parameters, method, _mode);
        if (timeout < TimeSpan.FromMilliseconds(10) || timeout > TimeSpan.FromHours(1))
        {
            throw parameters.Error("Timeout", "must be between 10ms and 1h (it bounds each attempt)");
        }

        if (retryDelay > MaxBackoff)
        {
            throw parameters.Error("RetryDelay", $"must be at most {MaxBackoff.TotalSeconds:0}s (the first retry's backoff; later ones double)");
        }

        _timeout = timeout;
        _headers = ResolveHeaders(parameters, headers);
        _clients = clients ?? SharedClients.Instance;
        _logger = logger;
        _resilience = BuildResilience(timeout, _retries, retryDelay);
    }

    private enum HttpMode
    {
        Batch,
        Record,
    }

    public async ValueTask<IReadOnlyList<Record>> ProcessAsync(Batch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return batch.Records; // nothing to send: no call to pay for
        }

        var client = CreateClient();
        return _mode == HttpMode.Batch
            ? await ProcessBatchAsync(client, batch, cancellationToken).ConfigureAwait(false)
            : await ProcessRecordsAsync(client, batch.Records, cancellationToken).ConfigureAwait(false);
    }

    private HttpClient CreateClient()
    {
        var client = _clients.CreateClient(ClientName);
        client.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // the resilience pipeline's timeouts rule
        return client;
    }

    private async Task<IReadOnlyList<Record>> ProcessBatchAsync(HttpClient client, Batch batch, CancellationToken cancellationToken)
    {
        var uri = _url.Fill(null);
        var body = JsonOf(batch.Records);
        var (status, content) = await SendAsync(client, uri, body, "the batch", cancellationToken).ConfigureAwait(false);
        if (FirstByte(content) != '[')
        {
            throw new HttpStepException($"{Describe(uri)} answered {Status(status)} with a body that is not a JSON array (Batch mode needs an array of records): {Excerpt(content)}");
        }

        try
        {
            using var stream = new MemoryStream(content, writable: false);
            return JsonArrayReader.Read(stream, Describe(uri), _logger).ToList();
        }
        catch (FormatException ex)
        {
            throw new HttpStepException($"{Describe(uri)} answered {Status(status)} with a body that is not a JSON array of records: {ex.Message}; body: {Excerpt(content)}");
        }
    }

    /// <summary>In Record mode each call stands alone: with an error sink, a record whose call fails costs only itself.</summary>
    public bool IsolatesRecords => _mode == HttpMode.Record;

    public async ValueTask<IsolatedOutput> ProcessIsolatingAsync(Batch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!IsolatesRecords)
        {
            throw new InvalidOperationException("a batch is one request in Batch mode: it succeeds or fails as a whole");
        }

        if (batch.Count == 0)
        {
            return new IsolatedOutput(batch.Records, []);
        }

        var client = CreateClient();
        var failures = new List<(int Index, Exception Error)>();
        var merged = await CallEachAsync(client, batch.Records, failures, isolate: true, cancellationToken).ConfigureAwait(false);

        // A failed record was not merged into (merging waits for the answers): it is as it came.
        var failed = failures.OrderBy(f => f.Index).Select(f => new RecordFailure(f.Index, batch.Records[f.Index], f.Error)).ToList();
        if (failed.Count == 0)
        {
            return new IsolatedOutput(merged, failed);
        }

        var failedAt = failed.Select(f => f.Index).ToHashSet();
        return new IsolatedOutput(merged.Where((_, i) => !failedAt.Contains(i)).ToList(), failed);
    }

    private async Task<IReadOnlyList<Record>> ProcessRecordsAsync(HttpClient client, IReadOnlyList<Record> records, CancellationToken cancellationToken)
    {
        var failures = new List<(int Index, Exception Error)>();
        var merged = await CallEachAsync(client, records, failures, isolate: false, cancellationToken).ConfigureAwait(false);
        if (failures.Count > 0)
        {
            // The first record in the batch that failed, whichever request finished first.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures.MinBy(f => f.Index).Error);
        }

        return merged;
    }

    /// <summary>
    /// One call per record, <c>MaxConcurrency</c> at a time, answers merged into the records that
    /// succeeded. Failures are collected; unless <paramref name="isolate"/>, the first one stops the
    /// calls not yet made (the batch fails anyway).
    /// </summary>
    private async Task<IReadOnlyList<Record>> CallEachAsync(HttpClient client, IReadOnlyList<Record> records, List<(int Index, Exception Error)> failures, bool isolate, CancellationToken cancellationToken)
    {
        var answers = new Record?[records.Count];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var next = -1;

        async Task Work()
        {
            while (!stop.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= records.Count)
                {
                    return;
                }

                try
                {
                    answers[i] = await CallAsync(client, i, records[i], stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return; // the run stopped, or another record failed first
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    lock (failures)
                    {
                        failures.Add((i, ex));
                    }

                    if (!isolate)
                    {
                        await stop.CancelAsync().ConfigureAwait(false);
                        return;
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(_maxConcurrency, records.Count)).Select(_ => Work())).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (failures.Count > 0 && !isolate)
        {
            return records; // the caller fails the batch: nothing merged, its records as they came
        }

        // Merged only once every call was answered: a failed batch leaves its records as they came,
        // and so does a failed record.
        var failed = failures.Select(f => f.Index).ToHashSet();
        for (var i = 0; i < records.Count; i++)
        {
            if (failed.Contains(i))
            {
                continue;
            }

            var answer = answers[i];
            if (_into is not null)
            {
                records[i].Set(_into, answer);
            }
            else if (answer is not null)
            {
                foreach (var (name, value) in answer)
                {
                    records[i].Set(name, value);
                }
            }
        }

        return records;
    }

    private async Task<Record?> CallAsync(HttpClient client, int index, Record record, CancellationToken cancellationToken)
    {
        var uri = _url.Fill(record, index);
        var body = _method == HttpMethod.Get || _method == HttpMethod.Delete ? null : JsonOf([record]);
        if (body is not null)
        {
            body = body[1..^1]; // the record alone, not the array of one
        }

        var what = $"record {index} of the batch";
        var (status, content) = await SendAsync(client, uri, body, what, cancellationToken).ConfigureAwait(false);
        var first = FirstByte(content);
        if (first is null)
        {
            return null; // 204 No Content, say: nothing to merge
        }

        if (first != '{')
        {
            throw new HttpStepException($"{what}: {Describe(uri)} answered {Status(status)} with a body that is not a JSON object (Record mode merges an object into the record): {Excerpt(content)}");
        }

        try
        {
            // One object read as an array of one, by the same strict reader as every JSON input.
            var wrapped = new byte[content.Length + 2];
            wrapped[0] = (byte)'[';
            content.CopyTo(wrapped, 1);
            wrapped[^1] = (byte)']';
            using var stream = new MemoryStream(wrapped, writable: false);
            return JsonArrayReader.Read(stream, Describe(uri), _logger).Single();
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            throw new HttpStepException($"{what}: {Describe(uri)} answered {Status(status)} with a body that is not one JSON object: {ex.Message}; body: {Excerpt(content)}");
        }
    }

    /// <summary>Sends one request through the resilience pipeline; a status that is not success, after any retries, is an error.</summary>
    private async Task<(HttpStatusCode Status, byte[] Content)> SendAsync(HttpClient client, Uri uri, byte[]? body, string what, CancellationToken cancellationToken)
    {
        var attempts = 0;
        HttpResponseMessage response;
        try
        {
            response = await _resilience.ExecuteAsync(
                async token =>
                {
                    Interlocked.Increment(ref attempts);
                    using var request = new HttpRequestMessage(_method, uri);
                    if (body is not null)
                    {
                        request.Content = new ByteArrayContent(body);
                        request.Content.Headers.ContentType = JsonContentType;
                    }

                    foreach (var (name, value) in _headers)
                    {
                        if (!request.Headers.TryAddWithoutValidation(name, value) && request.Content is not null)
                        {
                            request.Content.Headers.Remove(name);
                            request.Content.Headers.TryAddWithoutValidation(name, value);
                        }
                    }

                    // The whole body is read inside the attempt, so the attempt's timeout covers it.
                    return await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var bound = ex.Timeout == _timeout && attempts > _retries
                ? $"each of {Attempts(attempts)} timed out after {Text(_timeout)} (Timeout)"
                : $"no answer within {Text(ex.Timeout)} in all ({Attempts(attempts)}; Timeout {Text(_timeout)} each)";
            throw new HttpStepException($"{what}: {Describe(uri)}: {bound}");
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpStepException($"{what}: {Describe(uri)} failed after {Attempts(attempts)}: {ex.Message}");
        }

        using (response)
        {
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            Log.Answered(_logger, Describe(uri), (int)response.StatusCode, attempts);
            if (!response.IsSuccessStatusCode)
            {
                var retried = attempts > 1 ? $" after {Attempts(attempts)}" : " (not retried)";
                throw new HttpStepException($"{what}: {Describe(uri)} answered {Status(response.StatusCode)}{retried}: {Excerpt(content)}");
            }

            return (response.StatusCode, content);
        }
    }

    private ResiliencePipeline<HttpResponseMessage> BuildResilience(TimeSpan timeout, int retries, TimeSpan retryDelay)
    {
        // Every attempt may take its whole timeout, and every wait between them its longest backoff.
        var total = (timeout * (retries + 1)) + (MaxBackoff * retries);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(new HttpTimeoutStrategyOptions { Timeout = total < TimeSpan.FromDays(1) ? total : TimeSpan.FromDays(1), Name = "Total" });
        if (retries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                // ShouldHandle keeps the options' default: 5xx, 408, 429, HttpRequestException and an attempt's timeout.
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retryDelay, // the options' default is 2 s; the step's RetryDelay (1 s unless set) instead
                MaxDelay = MaxBackoff,
                ShouldRetryAfterHeader = true,
                OnRetry = args =>
                {
                    var reason = args.Outcome.Result is { } result ? Status(result.StatusCode) : args.Outcome.Exception?.GetType().Name ?? "failure";
                    Log.Retrying(_logger, _method.Method, args.AttemptNumber + 1, reason, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }

        return builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = timeout, Name = "Attempt" }).Build();
    }

    private static HttpMethod ParseMethod(NodeParameters parameters, string? method, HttpMode mode)
    {
        if (method is null)
        {
            return mode == HttpMode.Batch ? HttpMethod.Post : HttpMethod.Get;
        }

        var parsed = method.ToUpperInvariant() switch
        {
            "GET" => HttpMethod.Get,
            "POST" => HttpMethod.Post,
            "PUT" => HttpMethod.Put,
            "PATCH" => HttpMethod.Patch,
            "DELETE" => HttpMethod.Delete,
            _ => throw parameters.Error("Method", $"'{method}' is not GET, POST, PUT, PATCH or DELETE"),
        };
        if (mode == HttpMode.Batch && (parsed == HttpMethod.Get || parsed == HttpMethod.Delete))
        {
            throw parameters.Error("Method", $"Batch mode sends the batch as the request's body: use POST, PUT or PATCH, not {parsed.Method}");
        }

        return parsed;
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentReference();

    private static KeyValuePair<string, string>[] ResolveHeaders(NodeParameters parameters, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        using var probe = new HttpRequestMessage { Content = new ByteArrayContent([]) };
        var resolved = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in headers)
        {
            if (!probe.Headers.TryAddWithoutValidation(name, "x") && !probe.Content.Headers.TryAddWithoutValidation(name, "x"))
            {
                throw parameters.Error($"Headers:{name}", $"'{name}' is not a header a request can carry");
            }

            var text = EnvironmentReference().Replace(value, match =>
            {
                var variable = match.Groups[1].Value;
                var found = Environment.GetEnvironmentVariable(variable);
                return string.IsNullOrEmpty(found)
                    ? throw parameters.Error($"Headers:{name}", $"environment variable '{variable}' is not set")
                    : found;
            });
            if (text.Contains('\r', StringComparison.Ordinal) || text.Contains('\n', StringComparison.Ordinal))
            {
                throw parameters.Error($"Headers:{name}", "its value holds a line break");
            }

            resolved.Add(new(name, text));
        }

        // The signature sees the resolved headers only as their hash, never the values.
        var signed = new StringBuilder();
        foreach (var (name, value) in resolved.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            signed.Append(name.ToLowerInvariant()).Append('\n').Append(value).Append('\n');
        }

        if (headers.Count > 0)
        {
            parameters.SignAsHash("Headers", Encoding.UTF8.GetBytes(signed.ToString()));
        }

        return resolved.ToArray();
    }

    private static byte[] JsonOf(IReadOnlyList<Record> records)
    {
        using var buffer = new MemoryStream();
        using (var writer = RecordJson.CreateWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var record in records)
            {
                RecordJson.Write(writer, record);
            }

            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    private static char? FirstByte(byte[] content)
    {
        var span = content.AsSpan();
        if (span.StartsWith("\uFEFF"u8))
        {
            span = span[3..];
        }

        span = span.TrimStart(JsonRecordReader.Whitespace);
        return span.IsEmpty ? null : (char)span[0];
    }

    /// <summary>A URL for messages and logs: no user info and no query, where keys are often passed.</summary>
    internal static string Redact(Uri uri) =>
        $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}{(uri.Query.Length > 1 ? "?…" : string.Empty)}";

    private string Describe(Uri uri) => $"{_method.Method} {Redact(uri)}";

    private static string Status(HttpStatusCode status) => $"{(int)status} ({status})";

    private static string Attempts(int attempts) => attempts == 1 ? "1 attempt" : $"{attempts} attempts";

    private static string Text(TimeSpan span) => span.TotalSeconds >= 1
        ? span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
        : span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";

    private static string Excerpt(byte[] content)
    {
        if (content.Length == 0)
        {
            return "(empty body)";
        }

        var text = Encoding.UTF8.GetString(content, 0, Math.Min(content.Length, BodyExcerptBytes)).TrimEnd('\uFFFD');
        text = string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));
        return content.Length > BodyExcerptBytes ? $"'{text}…' ({content.Length} bytes)" : $"'{text}'";
    }

    /// <summary><c>Url</c> with its <c>{field}</c> placeholders.</summary>
    private sealed partial class UrlTemplate
    {
        private readonly string _text;

        private UrlTemplate(string text, IReadOnlyList<string> fields)
        {
            _text = text;
            Fields = fields;
        }

        public IReadOnlyList<string> Fields { get; }

        [GeneratedRegex(@"\{([^{}]*)\}", RegexOptions.CultureInvariant)]
        private static partial Regex Placeholder();

        public static UrlTemplate Parse(NodeParameters parameters, string? url)
        {
            if (string.IsNullOrWhiteSpace(url))
            {
                throw parameters.Error("Url", "is required");
            }

            var fields = new List<string>();
            var probe = Placeholder().Replace(url, match =>
            {
                var field = match.Groups[1].Value.Trim();
                if (field.Length == 0)
                {
                    throw parameters.Error("Url", "has an empty {} placeholder: name a field in it, as {id}");
                }

                fields.Add(field);
                return "x";
            });
            var shown = url.Contains('?', StringComparison.Ordinal) ? url[..url.IndexOf('?', StringComparison.Ordinal)] + "?…" : url;
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || probe.Contains('{') || probe.Contains('}'))
            {
                throw parameters.Error("Url", $"'{shown}' is not an absolute http:// or https:// URL (placeholders are {{field}})");
            }

            return new UrlTemplate(url, fields);
        }

        /// <summary>The URL for one record (<paramref name="index"/> in its batch), its values URL-encoded.</summary>
        public Uri Fill(Record? record, int index = 0)
        {
            if (record is null || Fields.Count == 0)
            {
                return new Uri(_text);
            }

            var filled = Placeholder().Replace(_text, match =>
            {
                var field = match.Groups[1].Value.Trim();
                if (!record.TryGetValue(field, out var value))
                {
                    throw new HttpStepException($"record {index} of the batch has no field '{field}' for the Url's {{{field}}}");
                }

                var text = value switch
                {
                    null => throw new HttpStepException($"record {index} of the batch has null in '{field}', which the Url's {{{field}}} needs"),
                    Record or List<object?> => throw new HttpStepException($"record {index} of the batch has an object or list in '{field}', not one value for the Url's {{{field}}}"),
                    _ => NumberText.Format(value)!,
                };
                return Uri.EscapeDataString(text);
            });
            return new Uri(filled);
        }
    }

    /// <summary>The clients when the host registered no <see cref="IHttpClientFactory"/> (a planner without DI): one pooled handler.</summary>
    private sealed class SharedClients : IHttpClientFactory
    {
        public static readonly SharedClients Instance = new();

        private readonly SocketsHttpHandler _handler = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };

        public HttpClient CreateClient(string name) => new(_handler, disposeHandler: false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 401, Level = LogLevel.Debug, Message = "Http {Request} answered {Status} after {Attempts} attempt(s)")]
        public static partial void Answered(ILogger logger, string request, int status, int attempts);

        [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "Http {Method}: attempt {Attempt} failed with {Reason}; retrying in {DelayMs:0} ms")]
        public static partial void Retrying(ILogger logger, string method, int attempt, string reason, double delayMs);
    }
}

/// <summary>The Http step could not get a usable answer: the message names the record, the request, the status and the body's start.</summary>
internal sealed class HttpStepException : Exception
{
    public HttpStepException(string message)
        : base(message)
    {
    }
}
