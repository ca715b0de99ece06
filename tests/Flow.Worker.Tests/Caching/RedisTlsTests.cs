using Flow.Redis.Tests;

namespace Flow.Worker.Tests.Caching;

/// <summary>
/// The Redis store over TLS, as the README gives it: <c>ssl=true</c> in <c>Flow:Cache:Redis</c>, the
/// server's certificate trusted by the machine (here through <c>SSL_CERT_FILE</c>), against a real
/// redis-server speaking TLS. A certificate the worker cannot trust is named as such, not taken for
/// a wrong password.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RedisTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task CacheOverTls_WithTheServersCertificateTrusted_FillsThenReplays()
    {
        await using var server = await RedisServerFixture.StartPrivateServerAsync(tls: true);
        using var workspace = new FlowWorkspace();
        var config = WritePipeline(workspace);
        var trusted = new Dictionary<string, string> { ["SSL_CERT_FILE"] = server.CaCertificate! };
        string[] args = ["run", "--config", config, "--Flow:Cache:Store=Redis", $"--Flow:Cache:Redis=localhost:{server.TlsPort},ssl=true", "--Flow:Cache:Required=true"];

        await using (var cold = await FlowProcess.RunAsync(workspace.Path, Timeout, trusted, [.. args, "--report", "cold.json"]))
        {
            Assert.True(cold.ExitCode == 0, cold.StandardError);
        }

        var output = await File.ReadAllBytesAsync(workspace.File("out.jsonl"));
        await using (var warm = await FlowProcess.RunAsync(workspace.Path, Timeout, trusted, [.. args, "--report", "warm.json"]))
        {
            Assert.True(warm.ExitCode == 0, warm.StandardError);
        }

        Assert.Equal((0, 4), workspace.ReportedCounts("cold.json", "p", "twice"));
        Assert.Equal((4, 0), workspace.ReportedCounts("warm.json", "p", "twice"));
        Assert.Equal(output, await File.ReadAllBytesAsync(workspace.File("out.jsonl")));
        Assert.Equal(1000, FlowWorkspace.LineCount(workspace.File("out.jsonl")));
    }

    [Fact]
    public async Task CacheOverTls_WithTheCertificateNotTrusted_SaysSoAndNamesNoPassword()
    {
        await using var server = await RedisServerFixture.StartPrivateServerAsync(tls: true);
        using var workspace = new FlowWorkspace();
        var config = WritePipeline(workspace);

        await using var run = await FlowProcess.RunAsync(workspace.Path, Timeout,
            "run", "--config", config, "--Flow:Cache:Store=Redis", $"--Flow:Cache:Redis=localhost:{server.TlsPort},ssl=true,connectTimeout=3000", "--Flow:Cache:Required=true");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"the cache store Redis at localhost:{server.TlsPort} failed the TLS handshake", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("SSL_CERT_FILE", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("AUTH failed", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
    }

    private static string WritePipeline(FlowWorkspace workspace) => workspace.WritePipeline("""
        {
          "BatchSize": 250,
          "Sources": [ { "Name": "gen", "Type": "Generate", "Params": { "Count": 1000, "Seed": 3 } } ],
          "Steps": [ { "Name": "twice", "Type": "Compute", "UseCache": true, "Params": { "Set": { "twice": "value * 2" } } } ],
          "Sinks": [ { "Name": "out", "Type": "JsonLines", "Params": { "Path": "out.jsonl" } } ]
        }
        """);
}
