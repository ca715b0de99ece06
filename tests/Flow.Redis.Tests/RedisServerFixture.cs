using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Flow.Redis.Tests;

/// <summary>
/// A Redis server for tests. Uses the server named by <c>FLOW_TEST_REDIS</c> (<c>host:port</c>,
/// set by <c>.ci/run</c>) when present; otherwise starts a private <c>redis-server</c> on a free
/// loopback port (no persistence) and shuts it down on dispose. Fails loudly when
/// <c>redis-server</c> is not installed. Nothing is flushed: each test works under its own
/// <see cref="NewKeyPrefix"/>.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    /// <summary>The environment variable naming an external server (<c>host:port</c>).</summary>
    public const string EnvironmentVariable = "FLOW_TEST_REDIS";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(5);

    private Process? _process;
    private string? _directory;
    private string? _password;
    private bool _persistent;
    private bool _tls;
    private string? _executable;
    private readonly StringBuilder _output = new();

    /// <summary>The server's host (an IP address or a name).</summary>
    public string Host { get; private set; } = "127.0.0.1";

    /// <summary>The server's port.</summary>
    public int Port { get; private set; }

    /// <summary>The port that speaks TLS beside <see cref="Port"/>, for a server started with TLS; 0 otherwise.</summary>
    public int TlsPort { get; private set; }

    /// <summary>The certificate of the authority that signed the TLS server's certificate (for <c>localhost</c> and 127.0.0.1), a PEM file.</summary>
    public string? CaCertificate => _tls && _directory is not null ? Path.Combine(_directory, "ca.pem") : null;

    /// <summary>A StackExchange.Redis connection string for the server, e.g. <c>127.0.0.1:6380</c>.</summary>
    public string Configuration => Host + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether this fixture started (and will stop) the server itself.</summary>
    public bool OwnsServer => _process is not null;

    /// <summary>A key prefix no other test uses, e.g. <c>test:3f2a...:</c>.</summary>
    public string NewKeyPrefix() => "test:" + Guid.NewGuid().ToString("N") + ":";

    /// <summary>
    /// Starts a private <c>redis-server</c> (whatever <c>FLOW_TEST_REDIS</c> says), for tests that
    /// stop and restart a server. Dispose the result to shut it down.
    /// </summary>
    /// <param name="port">The loopback port to listen on, or 0 for a free one.</param>
    /// <param name="password">When set, the server requires it (<c>--requirepass</c>).</param>
    /// <param name="tls">When true, the server also listens with TLS on <see cref="TlsPort"/>, with a certificate signed by <see cref="CaCertificate"/> (made by <c>openssl</c>).</param>
    public static async Task<RedisServerFixture> StartPrivateServerAsync(int port = 0, string? password = null, bool tls = false)
    {
        var fixture = new RedisServerFixture { _password = password, _tls = tls };
        await fixture.StartOwnServerAsync(port).ConfigureAwait(false);
        return fixture;
    }

    /// <summary>
    /// Starts a private <c>redis-server</c> that keeps its data (an append-only file, synced on every
    /// write) across <see cref="StopKeepingDataAsync"/> and <see cref="StartAgainAsync"/>: for tests of
    /// an outage that the data survives. Dispose the result to shut it down and delete its data.
    /// </summary>
    public static async Task<RedisServerFixture> StartPersistentServerAsync()
    {
        var fixture = new RedisServerFixture { _persistent = true };
        await fixture.StartOwnServerAsync(port: 0).ConfigureAwait(false);
        return fixture;
    }

    /// <summary>Shuts the private server down (its data stays on disk), as an outage would.</summary>
    public async Task StopKeepingDataAsync()
    {
        var process = _process ?? throw new InvalidOperationException("this fixture did not start the server");
        _process = null;
        try
        {
            await SendAsync(Host, Port, Authenticated("SHUTDOWN", _password), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or OperationCanceledException)
        {
            // Going away already.
        }

        await process.WaitForExitAsync().WaitAsync(StopDeadline).ConfigureAwait(false);
        process.Dispose();
    }

    /// <summary>Starts the server stopped by <see cref="StopKeepingDataAsync"/> again, on the same port with the same data.</summary>
    public Task StartAgainAsync()
    {
        if (_process is not null || _directory is null || _executable is null)
        {
            throw new InvalidOperationException("the server is not stopped");
        }

        return StartAsync(_executable, Port);
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            (Host, Port) = ParseHostPort(external);
            if (!await WaitForPingAsync(Host, Port, StartDeadline).ConfigureAwait(false))
            {
                throw new InvalidOperationException(
                    $"{EnvironmentVariable}={external} names a Redis server that does not answer PING within {StartDeadline.TotalSeconds} s.");
            }

            return;
        }

        await StartOwnServerAsync(port: 0).ConfigureAwait(false);
    }

    private async Task StartOwnServerAsync(int port)
    {
        var executable = FindOnPath("redis-server") ?? throw new InvalidOperationException(
            "redis-server is not installed, and the Redis tests need it. Install it " +
            "(apt-get install -y redis-server) or set " + EnvironmentVariable + "=host:port to use a running server.");

        // A port found free can be taken before redis-server binds it: retry with a new one.
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                _executable = executable;
                await StartAsync(executable, port == 0 ? FreeLoopbackPort() : port).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
                await StopAsync().ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException("Could not start redis-server for the tests.", last);
    }

    /// <inheritdoc />
    public Task DisposeAsync() => StopAsync();

    private async Task StartAsync(string executable, int port)
    {
        Host = "127.0.0.1";
        Port = port;
        _directory ??= Directory.CreateTempSubdirectory("flow-redis-test-").FullName;
        _output.Clear();

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in new[]
                 {
                     "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", _persistent ? "yes" : "no", "--appendfsync", "always",
                     "--dir", _directory, "--daemonize", "no",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        if (_password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(_password);
        }

        if (_tls)
        {
            await MakeCertificatesAsync(_directory).ConfigureAwait(false);
            TlsPort = FreeLoopbackPort();
            foreach (var argument in new[]
                     {
                         "--tls-port", TlsPort.ToString(CultureInfo.InvariantCulture), "--tls-auth-clients", "no",
                         "--tls-cert-file", "server.pem", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.pem",
                     })
            {
                start.ArgumentList.Add(argument);
            }
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        if (!await WaitForPingAsync(Host, Port, StartDeadline, _process, _password).ConfigureAwait(false))
        {
            string output;
            lock (_output)
            {
                output = _output.ToString();
            }

            throw new InvalidOperationException(
                $"redis-server on port {Port} did not answer PING within {StartDeadline.TotalSeconds} s. Its output:\n{output}");
        }
    }

    private async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    try
                    {
                        await SendAsync(Host, Port, Authenticated("SHUTDOWN NOSAVE", _password), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or OperationCanceledException)
                    {
                        // Already going away: the kill below makes sure.
                    }

                    try
                    {
                        await process.WaitForExitAsync().WaitAsync(StopDeadline).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        process.Kill(entireProcessTree: true);
                        await process.WaitForExitAsync().WaitAsync(StopDeadline).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                process.Dispose();
            }
        }

        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is harmless.
            }

            _directory = null;
        }
    }

    // A certificate authority and a server certificate it signed, for localhost and 127.0.0.1, valid for a day.
    private static async Task MakeCertificatesAsync(string folder)
    {
        if (File.Exists(Path.Combine(folder, "server.pem")))
        {
            return;
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "san.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").ConfigureAwait(false);
        foreach (var arguments in new[]
                 {
                     "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=flow-test-ca",
                     "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost",
                     "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.cnf",
                 })
        {
            var start = new ProcessStartInfo("openssl", arguments) { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var openssl = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start");
            var errors = openssl.StandardError.ReadToEndAsync();
            _ = await openssl.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await openssl.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (openssl.ExitCode != 0)
            {
                throw new InvalidOperationException($"openssl {arguments} failed: {await errors.ConfigureAwait(false)}");
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>A loopback port nobody listens on at the time of the call.</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static (string Host, int Port) ParseHostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new InvalidOperationException($"{EnvironmentVariable} must be host:port (was '{value}').");
        }

        return (value[..colon].Trim('[', ']'), port);
    }

    /// <summary>The full path of executable <paramref name="name"/> on <c>PATH</c>, or null.</summary>
    internal static string? FindOnPath(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    // With a password, AUTH goes first on the same connection; its +OK is the first reply.
    private static string Authenticated(string command, string? password) =>
        password is null ? command : "AUTH " + password + "\r\n" + command;

    private static async Task<bool> WaitForPingAsync(string host, int port, TimeSpan deadline, Process? process = null, string? password = null)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < deadline)
        {
            if (process is { HasExited: true })
            {
                return false;
            }

            try
            {
                var reply = await SendAsync(host, port, Authenticated("PING", password), TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                if (reply.StartsWith(password is null ? "+PONG" : "+OK", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or OperationCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        return false;
    }

    // One inline command over a fresh connection; returns the first reply line (empty when the
    // server closed the connection, as SHUTDOWN does).
    private static async Task<string> SendAsync(string host, int port, string command, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellation.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellation.Token).ConfigureAwait(false);
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer, cancellation.Token).ConfigureAwait(false);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
