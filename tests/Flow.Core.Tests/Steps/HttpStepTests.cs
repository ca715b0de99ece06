using System.Text.Json;
using Flow.Caching;
using Flow.Execution;
using Flow.Pipelines;
using Microsoft.Extensions.Logging;

namespace Flow.Core.Tests.Steps;

/// <summary>The Http step against a real HTTP server on 127.0.0.1 that counts its calls.</summary>
public sealed class HttpStepTests : IDisposable
{
    private readonly PipelineHarness _harness = new();
    private readonly TempDirectory _temp = new();
    private readonly ListLogger _log = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Batch_PostsEachBatchAsAJsonArray_AndTheAnswerReplacesIt()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange =>
        {
            using var sent = JsonDocument.Parse(exchange.Request.Body);
            var call = exchange.Request.Call;
            var answer = sent.RootElement.EnumerateArray()
                .Select(r => new { id = r.GetProperty("id").GetInt64(), doubled = r.GetProperty("n").GetInt64() * 2, call })
                .Append(new { id = -1L, doubled = 0L, call }); // the answer may hold more records than were sent
            return LocalHttpServer.AnswerAsync(exchange, 200, JsonSerializer.Serialize(answer));
        });

        var (result, records) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/enrich" }""", Records(10), batchSize: 4);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal(3, server.Calls);
        Assert.All(server.Requests, r => Assert.Equal("POST", r.Method));
        Assert.All(server.Requests, r => Assert.StartsWith("application/json", r.Headers["Content-Type"], StringComparison.Ordinal));
        Assert.Equal(
            new long[] { 0, 1, 2, 3, -1, 4, 5, 6, 7, -1, 8, 9, -1 },
            records.Select(r => (long)r["id"]!));
        Assert.Equal(records.Where(r => (long)r["id"]! >= 0).Select(r => (long)r["id"]! * 20), records.Where(r => (long)r["id"]! >= 0).Select(r => (long)r["doubled"]!));
    }

    [Fact]
    public async Task Batch_AnswerThatIsNotAnArray_FailsTheBatchWithTheStatusAndTheBody()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange =>
            LocalHttpServer.AnswerAsync(exchange, 200, """{"error":"expected a list"}"""));

        var (result, _) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/enrich" }""", Records(3));

        Assert.Equal(RunStatus.Failed, result.Status);
        var message = Assert.IsType<StepFailedException>(result.Error).Message;
        Assert.Contains("node 'call', batch 0", message, StringComparison.Ordinal);
        Assert.Contains($"POST {server.BaseUrl}/enrich answered 200 (OK) with a body that is not a JSON array", message, StringComparison.Ordinal);
        Assert.Contains("""{"error":"expected a list"}""", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_FillsPlaceholdersUrlEncoded_AndMergesTheAnswerInInputOrder()
    {
        await using var server = await LocalHttpServer.StartAsync(async exchange =>
        {
            // Later records answer sooner: the output must still keep the input's order.
            await Task.Delay(TimeSpan.FromMilliseconds(50 - (5 * Math.Min(exchange.Request.Call, 9))), exchange.Stopping);
            await LocalHttpServer.AnswerAsync(exchange, 200, JsonSerializer.Serialize(new { name = "airport " + exchange.Request.LastSegment, n = 99 }));
        });

        var input = """[ { "code": "DTW", "n": 1 }, { "code": "A B/C", "n": 2 }, { "code": "LAS", "n": 3 } ]""";
        var (result, records) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/airports/{code}?n={n}", "Mode": "Record" }""", input);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal(3, server.Calls);
        Assert.All(server.Requests, r => Assert.Equal("GET", r.Method));
        Assert.Equal(
            new[] { "/airports/A%20B%2FC?n=2", "/airports/DTW?n=1", "/airports/LAS?n=3" },
            server.Requests.Select(r => r.RawTarget).Order(StringComparer.Ordinal));
        Assert.Equal(
            new[]
            {
                """{"code":"DTW","n":99,"name":"airport DTW"}""",
                """{"code":"A B/C","n":99,"name":"airport A B/C"}""",
                """{"code":"LAS","n":99,"name":"airport LAS"}""",
            },
            records.Select(r => r.ToString()));
    }

    [Fact]
    public async Task Record_Into_PutsTheAnswerUnderTheField_AndPostsTheRecord()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange =>
        {
            using var sent = JsonDocument.Parse(exchange.Request.Body);
            return LocalHttpServer.AnswerAsync(exchange, 200, JsonSerializer.Serialize(new { length = sent.RootElement.GetProperty("code").GetString()!.Length }));
        });

        var input = """[ { "code": "DTW" }, { "code": "ABCDE" } ]""";
        var (result, records) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/score", "Mode": "Record", "Method": "POST", "Into": "score" }""", input);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal(new[] { """{"code":"ABCDE"}""", """{"code":"DTW"}""" }, server.Requests.Select(r => r.Body).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { """{"code":"DTW","score":{"length":3}}""", """{"code":"ABCDE","score":{"length":5}}""" }, records.Select(r => r.ToString()));
    }

    [Fact]
    public async Task Record_MissingPlaceholderField_FailsNamingTheRecordAndTheField()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange => LocalHttpServer.AnswerAsync(exchange, 200, "{}"));

        var input = """[ { "code": "DTW" }, { "name": "no code" } ]""";
        var (result, _) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/airports/{code}", "Mode": "Record" }""", input);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("record 1 of the batch has no field 'code' for the Url's {code}", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_WithAnErrorSink_ARecordWhoseCallFails_GoesThereAlone_TheOthersAreMergedAndCalledOnce()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange => exchange.Request.LastSegment is "3" or "7"
            ? LocalHttpServer.AnswerAsync(exchange, 500, "no score for you", "text/plain")
            : LocalHttpServer.AnswerAsync(exchange, 200, $$"""{"score":{{exchange.Request.LastSegment}}}"""));
        var input = _temp.File("in.json");
        await File.WriteAllTextAsync(input, Records(10));

        var result = await _harness.RunAsync($$"""
            {
              "BatchSize": 4,
              "Sources": [ { "Name": "in", "Type": "Json", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Steps": [ { "Name": "call", "Type": "Http", "ErrorSink": "errors", "Params": { "Url": "{{server.BaseUrl}}/score/{id}", "Mode": "Record", "Method": "GET", "Retries": 0 } } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" }, { "Name": "errors", "Type": "Collect" } ]
            }
            """);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal(10, server.Calls);
        Assert.Equal(new long[] { 0, 1, 2, 4, 5, 6, 8, 9 }, _harness.Collected("out").Records.Select(r => (long)r["score"]!));
        var errors = _harness.Collected("errors").Records;
        Assert.Equal(new[] { """{"id":3,"n":30}""", """{"id":7,"n":70}""" }, errors.Select(e => e["record"]!.ToString()));
        Assert.Equal(new[] { 3L, 3L }, errors.Select(e => (long)e["index"]!));
        Assert.Equal(
            new[] { $"record 3 of the batch: GET {server.BaseUrl}/score/3 answered 500 (InternalServerError) (not retried): 'no score for you'", $"record 3 of the batch: GET {server.BaseUrl}/score/7 answered 500 (InternalServerError) (not retried): 'no score for you'" },
            errors.Select(e => (string)e["error"]!));
    }

    [Fact]
    public async Task Retry_503ThenSuccess_RetriesUntilTheAnswerComes()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange => exchange.Request.Call <= 2
            ? LocalHttpServer.AnswerAsync(exchange, 503, "busy")
            : LocalHttpServer.AnswerAsync(exchange, 200, """{"ok":true}"""));

        var (result, records) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/x", "Mode": "Record", "Retries": 3, "RetryDelay": "1ms" }""", """[ { "id": 7 } ]""");

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal(3, server.Calls);
        Assert.Equal("""{"id":7,"ok":true}""", Assert.Single(records).ToString());
    }

    [Fact]
    public async Task Retry_503Always_FailsAfterEveryAttemptNamingTheStatus()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange => LocalHttpServer.AnswerAsync(exchange, 503, "still busy", "text/plain"));

        var (result, _) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/x", "Mode": "Record", "Retries": 2, "RetryDelay": "1ms" }""", """[ { "id": 7 } ]""");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(3, server.Calls);
        Assert.Contains($"record 0 of the batch: GET {server.BaseUrl}/x answered 503 (ServiceUnavailable) after 3 attempts: 'still busy'", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_429WithRetryAfter_WaitsAsTheServerAsks()
    {
        await using var server = await LocalHttpServer.StartAsync(exchange =>
        {
            if (exchange.Request.Call == 1)
            {
                exchange.Response.AddHeader("Retry-After", "1");
                return LocalHttpServer.AnswerAsync(exchange, 429, "slow down");
            }

            return LocalHttpServer.AnswerAsync(exchange, 200, """{"ok":true}""");
        });

        var (result, _) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/x", "Mode": "Record", "RetryDelay": "1ms" }""", """[ { "id": 1 } ]""");

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal(2, server.Calls);
        // A lower bound only: with a 1 ms backoff, only Retry-After makes the second call wait a second.
        var gap = server.Requests[1].ReceivedUtc - server.Requests[0].ReceivedUtc;
        Assert.True(gap >= TimeSpan.FromMilliseconds(900), $"the retry came {gap.TotalMilliseconds} ms after the 429");
    }

    [Fact]
    public async Task Status400_IsNotRetried_AndTheErrorNamesRecordMethodUrlStatusAndBody_WithoutQueryNorHeaderSecrets()
    {
        const string variable = "HTTP_TEST_KEY_400";
        Environment.SetEnvironmentVariable(variable, "header-secret-400");
        await using var server = await LocalHttpServer.StartAsync(exchange => exchange.Request.LastSegment == "bad"
            ? LocalHttpServer.AnswerAsync(exchange, 400, """{"error":"unknown airport 'bad'"}""" + new string(' ', 300) + "TAIL")
            : LocalHttpServer.AnswerAsync(exchange, 200, "{}"));

        var input = """[ { "code": "good" }, { "code": "bad" }, { "code": "good" } ]""";
        var (result, _) = await RunAsync(
            $$"""{ "Url": "{{server.BaseUrl}}/airports/{code}?api_key=query-secret", "Mode": "Record", "MaxConcurrency": 1, "Headers": { "X-Api-Key": "${{{variable}}}" } }""",
            input);

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(2, server.Calls); // the first record, then the bad one once: no retry, and no third call
        var message = result.Error!.Message;
        Assert.Contains($"record 1 of the batch: GET {server.BaseUrl}/airports/bad?… answered 400 (BadRequest) (not retried): '{{\"error\":\"unknown airport 'bad'\"}}", message, StringComparison.Ordinal);
        Assert.DoesNotContain("TAIL", message, StringComparison.Ordinal);
        Assert.DoesNotContain("query-secret", message, StringComparison.Ordinal);
        Assert.DoesNotContain("header-secret-400", message, StringComparison.Ordinal);
        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains("query-secret", StringComparison.Ordinal) || e.Message.Contains("header-secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Timeout_IsRetried_ThenFailsSayingEachAttemptTimedOut()
    {
        await using var server = await LocalHttpServer.StartAsync(async exchange =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), exchange.Stopping);
            await LocalHttpServer.AnswerAsync(exchange, 200, "{}");
        });

        var (result, _) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/slow", "Mode": "Record", "Timeout": "200ms", "Retries": 1, "RetryDelay": "1ms" }""", """[ { "id": 1 } ]""");

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(2, server.Calls);
        Assert.Contains($"record 0 of the batch: GET {server.BaseUrl}/slow: each of 2 attempts timed out after 200ms (Timeout)", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxConcurrency_BoundsTheRequestsInFlight()
    {
        // The first three calls are held until all three are in: a step sending one at a time would
        // never get there (they answer after 10 s anyway), one sending more would show a fourth.
        var three = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LocalHttpServer.StartAsync(async exchange =>
        {
            var call = exchange.Request.Call;
            if (call == 3)
            {
                three.TrySetResult();
            }

            if (call <= 3)
            {
                await three.Task.WaitAsync(TimeSpan.FromSeconds(10), exchange.Stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            await LocalHttpServer.AnswerAsync(exchange, 200, JsonSerializer.Serialize(new { call }));
        });

        var (result, records) = await RunAsync($$"""{ "Url": "{{server.BaseUrl}}/x/{id}", "Mode": "Record", "MaxConcurrency": 3 }""", Records(12), batchSize: 12);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.Equal(12, server.Calls);
        Assert.Equal(3, server.MaxInFlight);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), records.Select(r => (long)r["id"]!));
    }

    [Fact]
    public async Task Headers_SecretFromTheEnvironment_ReachesTheServer_ButNoLogNorTheSignature()
    {
        const string variable = "HTTP_TEST_TOKEN";
        Environment.SetEnvironmentVariable(variable, "s3cr3t-token-value");
        await using var server = await LocalHttpServer.StartAsync(exchange => LocalHttpServer.AnswerAsync(exchange, 200, """{"ok":true}"""));
        var step = $$"""{ "Url": "{{server.BaseUrl}}/x", "Mode": "Record", "Headers": { "Authorization": "Bearer ${{{variable}}}", "X-Plain": "visible" } }""";

        var (result, _) = await RunAsync(step, Records(2));
        var signature = StepSignature.For((await PlanAsync(step, Records(2))).Validated["call"]);
        Environment.SetEnvironmentVariable(variable, "another-token");
        var rotated = StepSignature.For((await PlanAsync(step, Records(2))).Validated["call"]);

        Assert.True(result.Status == RunStatus.Completed, result.Error?.Message);
        Assert.All(server.Requests, r => Assert.Equal("Bearer s3cr3t-token-value", r.Headers["Authorization"]));
        Assert.All(server.Requests, r => Assert.Equal("visible", r.Headers["X-Plain"]));
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Debug); // the step did log its calls
        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains("s3cr3t", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cr3t", signature.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("visible", signature.Json, StringComparison.Ordinal);
        Assert.Matches("\"Headers\":\"sha256:[0-9a-f]{64}\"", signature.Json);
        Assert.NotEqual(signature.Hash, rotated.Hash); // a new key does not replay answers fetched with the old one
    }

    [Fact]
    public async Task Signature_LeavesOutTimeoutRetriesAndConcurrency_ButNotTheUrl()
    {
        var plain = await SignatureAsync("""{ "Url": "http://127.0.0.1:9/x/{id}", "Mode": "Record" }""");
        var tuned = await SignatureAsync("""{ "Url": "http://127.0.0.1:9/x/{id}", "Mode": "Record", "Timeout": "5s", "Retries": 9, "RetryDelay": "10ms", "MaxConcurrency": 16 }""");
        var other = await SignatureAsync("""{ "Url": "http://127.0.0.1:9/y/{id}", "Mode": "Record" }""");

        Assert.Equal(plain.Hash, tuned.Hash);
        Assert.NotEqual(plain.Hash, other.Hash);
    }

    [Fact]
    public async Task Cancellation_TheRunsTokenEndsTheRequestInFlight()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LocalHttpServer.StartAsync(async exchange =>
        {
            arrived.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(60), exchange.Stopping);
        });
        var plan = await PlanAsync($$"""{ "Url": "{{server.BaseUrl}}/x", "Mode": "Record", "Timeout": "1h" }""", Records(1));
        var step = (IStep)plan.Validated["call"].Instance;
        var batch = new Batch(new BatchId("in", 0, 0), [new Record { ["id"] = 1L }]);
        using var stop = new CancellationTokenSource();

        var call = step.ProcessAsync(batch, stop.Token).AsTask();
        await arrived.Task.WaitAsync(PipelineHarness.RunTimeout);
        await stop.CancelAsync();

        // Well before the server's 60 s answer: the token reached the request.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, server.Calls);
    }

    [Theory]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Urll": "x" }""", "Urll", "unknown parameter 'Urll'")]
    [InlineData("""{ "Mode": "Batch" }""", "Url", "is required")]
    [InlineData("""{ "Url": "ftp://host/x?key=secret" }""", "Url", "'ftp://host/x?…' is not an absolute http:// or https:// URL")]
    [InlineData("""{ "Url": "not a url" }""", "Url", "is not an absolute")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Mode": "Each" }""", "Mode", "'Each' is not Batch or Record")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Mode": "1" }""", "Mode", "'1' is not Batch or Record")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Method": "FETCH" }""", "Method", "'FETCH' is not GET, POST, PUT, PATCH or DELETE")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Method": "GET" }""", "Method", "Batch mode sends the batch")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x/{id}" }""", "Url", "{id} placeholders are filled from a record")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Into": "answer" }""", "Into", "applies only in Mode Record")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Timeout": "1ms" }""", "Timeout", "between 10ms and 1h")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Retries": -1 }""", "Retries", "-1")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Mode": "Record", "MaxConcurrency": 0 }""", "MaxConcurrency", "0")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Headers": { "X-Key": "${HTTP_TEST_UNSET_VARIABLE}" } }""", "Headers:X-Key", "environment variable 'HTTP_TEST_UNSET_VARIABLE' is not set")]
    [InlineData("""{ "Url": "http://127.0.0.1:9/x", "Headers": { "Bad Name": "v" } }""", "Headers:Bad Name", "is not a header")]
    public async Task Plan_BadParameter_IsAConfigurationErrorAtTheKey(string step, string key, string expected)
    {
        var errors = await _harness.ConfigurationErrorsAsync(Pipeline(step, Records(1)));

        var error = Assert.Single(errors);
        Assert.Equal($"Flow:Pipelines:p:Steps:0:Params:{key}", error.Path);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    private static string Records(int count) =>
        JsonSerializer.Serialize(Enumerable.Range(0, count).Select(i => new { id = i, n = i * 10 }));

    private string Pipeline(string step, string records, int batchSize = 100)
    {
        var input = _temp.File($"in-{Guid.NewGuid():N}.json");
        File.WriteAllText(input, records);
        return $$"""
            {
              "BatchSize": {{batchSize}},
              "Sources": [ { "Name": "in", "Type": "Json", "Params": { "Path": {{TestData.Quote(input)}} } } ],
              "Steps": [ { "Name": "call", "Type": "Http", "Params": {{step}} } ],
              "Sinks": [ { "Name": "out", "Type": "Collect" } ]
            }
            """;
    }

    private Task<PipelinePlan> PlanAsync(string step, string records, int batchSize = 100) =>
        new PipelinePlanner(_harness.Registry, EmptyServices.Instance, new ListLoggerFactory(_log), TestData.RepoRoot)
            .PlanAsync(PipelineHarness.Read(Pipeline(step, records, batchSize))).WaitAsync(PipelineHarness.RunTimeout);

    private async Task<(PipelineResult Result, IReadOnlyList<Record> Records)> RunAsync(string step, string records, int batchSize = 100)
    {
        var plan = await PlanAsync(step, records, batchSize);
        var result = await new PipelineRunner(_log).RunAsync(plan, CancellationToken.None).WaitAsync(PipelineHarness.RunTimeout);
        return (result, _harness.Collected().Records);
    }

    private async Task<StepSignature> SignatureAsync(string step) =>
        StepSignature.For((await PlanAsync(step, Records(1))).Validated["call"]);

    private sealed class ListLoggerFactory(ListLogger logger) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
