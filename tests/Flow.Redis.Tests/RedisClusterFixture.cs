using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Flow.Redis.Tests;

/// <summary>
/// A Redis Cluster of three masters (no replicas) on free loopback ports, for tests: three
/// <c>redis-server --cluster-enabled yes</c> processes (no persistence), joined by
/// <c>redis-cli --cluster create</c>, ready once every node reports <c>cluster_state:ok</c>. Each
/// server is stopped by its own process on dispose. Fails loudly when <c>redis-server</c> or
/// <c>redis-cli</c> is not installed.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private const int Masters = 3;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly List<Process> _servers = [];
    private readonly StringBuilder _output = new();
    private string? _directory;

    /// <summary>The masters' loopback ports.</summary>
    public IReadOnlyList<int> Ports { get; private set; } = [];

    /// <summary>A StackExchange.Redis connection string naming every master, e.g. <c>127.0.0.1:7000,127.0.0.1:7001,...</c>.</summary>
    public string Configuration => string.Join(",", Ports.Select(port => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A key prefix no other test uses.</summary>
    public string NewKeyPrefix() => "test:" + Guid.NewGuid().ToString("N") + ":";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var server = Executable("redis-server");
        var cli = Executable("redis-cli");
        _directory = Directory.CreateTempSubdirectory("flow-redis-cluster-").FullName;
        var ports = new List<int>();
        for (var i = 0; i < Masters; i++)
        {
            var port = RedisServerFixture.FreeLoopbackPort();
            while (ports.Contains(port))
            {
                port = RedisServerFixture.FreeLoopbackPort();
            }

            ports.Add(port);
            _servers.Add(Start(server, port));
        }

        Ports = ports;
        foreach (var port in ports)
        {
            await WaitUntilAsync(cli, port, "PING", reply => reply.Trim() == "PONG", "answer PING").ConfigureAwait(false);
        }

        var create = new List<string> { "--cluster", "create" };
        create.AddRange(ports.Select(port => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)));
        create.AddRange(["--cluster-replicas", "0", "--cluster-yes"]);
        var (exitCode, output) = await RunAsync(cli, create).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create failed ({exitCode}):\n{output}\n{ServerOutput()}");
        }

        foreach (var port in ports)
        {
            await WaitUntilAsync(cli, port, "CLUSTER INFO", reply => reply.Contains("cluster_state:ok", StringComparison.Ordinal), "report cluster_state:ok").ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var process in _servers)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
            finally
            {
                process.Dispose();
            }
        }

        _servers.Clear();
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
        }
    }

    private Process Start(string executable, int port)
    {
        var folder = Path.Combine(_directory!, port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var argument in new[]
                 {
                     "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
                     "--save", "", "--appendonly", "no", "--dir", folder, "--daemonize", "no",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, e) => Append(port, e.Data);
        process.ErrorDataReceived += (_, e) => Append(port, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilAsync(string cli, int port, string command, Func<string, bool> ready, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        var last = "";
        while (stopwatch.Elapsed < Deadline)
        {
            var arguments = new List<string> { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) };
            arguments.AddRange(command.Split(' '));
            (_, last) = await RunAsync(cli, arguments).ConfigureAwait(false);
            if (ready(last))
            {
                return;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"Cluster node 127.0.0.1:{port} did not {what} within {Deadline.TotalSeconds} s; last reply: {last}\n{ServerOutput()}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string executable, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(executable + " did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Deadline).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{executable} {string.Join(' ', start.ArgumentList)} did not end within {Deadline.TotalSeconds} s.");
        }

        return (process.ExitCode, await output.ConfigureAwait(false) + await error.ConfigureAwait(false));
    }

    private static string Executable(string name) =>
        RedisServerFixture.FindOnPath(name) ?? throw new InvalidOperationException(
            name + " is not installed, and the Redis Cluster tests need it. Install it (apt-get install -y redis-server).");

    private void Append(int port, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(port).Append(": ").AppendLine(line);
        }
    }

    private string ServerOutput()
    {
        lock (_output)
        {
            return "Servers' output:\n" + _output;
        }
    }
}
