using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flow.Worker.Tests.Status;

/// <summary>
/// Headless Chromium (the Debian package, which .ci/run installs) driven over the Chrome DevTools
/// protocol on its WebSocket: one page, navigated and evaluated in. Started with a user data folder
/// of its own and a debugging port the browser picks (read from its "DevTools listening on" line);
/// disposed by killing its process id.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string InstallHint = "headless Chromium is needed for the status page test and is not installed: apt-get update && apt-get install -y chromium (Debian; .ci/run installs it)";

    private readonly Process _process;
    private readonly TempDirectory _profile;
    private readonly ClientWebSocket _page = new();
    private readonly StringBuilder _stderr = new();
    private int _nextId;

    private HeadlessChromium(Process process, TempDirectory profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>The chromium executable on PATH (or the Debian package's path), or null.</summary>
    public static string? Find()
    {
        var names = new[] { "chromium", "chromium-browser" };
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        return path.SelectMany(dir => names.Select(name => Path.Combine(dir, name))).Append("/usr/bin/chromium").FirstOrDefault(File.Exists);
    }

    public static async Task<HeadlessChromium> StartAsync(TimeSpan timeout)
    {
        var executable = Find() ?? throw new InvalidOperationException(InstallHint);
        var profile = new TempDirectory();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless=new", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", $"--user-data-dir={profile.Path}",
            // Root in CI and containers has no user namespace sandbox; the page is our own loopback server.
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "about:blank",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        var browser = new HeadlessChromium(process, profile);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("chromium closed its standard error before printing its DevTools URL"));
                return;
            }

            lock (browser._stderr)
            {
                browser._stderr.AppendLine(e.Data);
            }

            const string marker = "DevTools listening on ";
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(e.Data[(at + marker.Length)..].Trim());
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var browserUrl = new Uri(await listening.Task.WaitAsync(timeout));
            await browser.AttachToPageAsync(browserUrl, timeout);
            return browser;
        }
        catch (Exception ex)
        {
            var stderr = browser.StandardError;
            await browser.DisposeAsync();
            throw new InvalidOperationException($"chromium did not become controllable ({ex.Message}); its stderr:{Environment.NewLine}{stderr}", ex);
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Loads <paramref name="url"/> in the page (returns once navigation started; poll with <see cref="EvaluateAsync"/>).</summary>
    public async Task NavigateAsync(Uri url) =>
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() });

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (strings are returned as they are).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"the page threw: {exception.ToJsonString()}");
        }

        return result["result"]?["value"];
    }

    public async ValueTask DisposeAsync()
    {
        _page.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true); // by its id: this process and its children only
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Exited meanwhile, or killed and not yet reaped.
        }

        _process.Dispose();
        _profile.Dispose();
    }

    // The browser endpoint lists its targets over HTTP on the same port: the about:blank page it opened is ours.
    private async Task AttachToPageAsync(Uri browserUrl, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = timeout };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://{browserUrl.Host}:{browserUrl.Port}/json/list"))!.AsArray();
            if (targets.FirstOrDefault(t => (string?)t?["type"] == "page") is { } page)
            {
                using var connect = new CancellationTokenSource(timeout);
                await _page.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), connect.Token);
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("chromium opened no page");
            }

            await Task.Delay(100);
        }
    }

    // One command at a time: events that arrive meanwhile are skipped.
    private async Task<JsonNode> SendAsync(string method, JsonObject parameters)
    {
        var id = ++_nextId;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var command = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        await _page.SendAsync(Encoding.UTF8.GetBytes(command.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _page.ReceiveAsync(buffer, timeout.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException($"chromium closed the DevTools connection; its stderr:{Environment.NewLine}{StandardError}");
                }

                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            var reply = JsonNode.Parse(message.ToArray())!;
            if ((int?)reply["id"] != id)
            {
                continue;
            }

            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            }

            return reply["result"] ?? new JsonObject();
        }
    }
}
