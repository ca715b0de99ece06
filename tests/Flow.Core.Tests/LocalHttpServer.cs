using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Flow.Tests;

/// <summary>
/// A real HTTP server (<see cref="HttpListener"/>) on 127.0.0.1 and a free port, for the Http step's
/// tests: it counts the calls it gets and how many were in flight at once, keeps every request, and
/// answers through the handler a test gives it. HttpListener rather than Kestrel: a FrameworkReference
/// to ASP.NET Core in a test project would drop the hosting assemblies the <c>flow</c> process
/// beside the tests needs.
/// </summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<Exchange, Task> _handle;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly Task _accepting;
    private int _calls;
    private int _inFlight;
    private int _maxInFlight;

    private LocalHttpServer(HttpListener listener, string baseUrl, Func<Exchange, Task> handle)
    {
        _listener = listener;
        _handle = handle;
        BaseUrl = baseUrl;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>One request as the server saw it: <paramref name="Call"/> counts from 1, <paramref name="RawTarget"/> is the path and query as sent.</summary>
    public sealed record Request(int Call, string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, string Body, DateTime ReceivedUtc)
    {
        /// <summary>The last segment of the path, decoded.</summary>
        public string LastSegment => Uri.UnescapeDataString(RawTarget.Split('?')[0].Split('/')[^1]);
    }

    /// <summary>What a handler gets: the request, the response to write, and a token that fires when the server stops.</summary>
    /// <param name="Answering">Called as the answer starts: the request is no longer in flight for <see cref="MaxInFlight"/>.</param>
    public sealed record Exchange(Request Request, HttpListenerResponse Response, CancellationToken Stopping, Action Answering);

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; }

    /// <summary>Requests received so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The most requests received and not yet answered at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Every request, in the order they arrived.</summary>
    public IReadOnlyList<Request> Requests => _requests.OrderBy(r => r.Call).ToList();

    public static Task<LocalHttpServer> StartAsync(Func<Exchange, Task> handle)
    {
        for (var attempt = 0; ; attempt++)
        {
            // HttpListener cannot take port 0: ask the OS for a free port, then listen on it.
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            var baseUrl = $"http://127.0.0.1:{port}";
            listener.Prefixes.Add(baseUrl + "/");
            try
            {
                listener.Start();
                return Task.FromResult(new LocalHttpServer(listener, baseUrl, handle));
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close(); // taken in between: another port
            }
        }
    }

    /// <summary>Answers with <paramref name="status"/> and a JSON (or text) body.</summary>
    public static async Task AnswerAsync(Exchange exchange, int status, string body, string contentType = "application/json")
    {
        // Out of flight before the client can see the answer: it may send its next request as soon as it has this one.
        exchange.Answering();
        var bytes = Encoding.UTF8.GetBytes(body);
        exchange.Response.StatusCode = status;
        exchange.Response.ContentType = contentType;
        exchange.Response.ContentLength64 = bytes.Length;
        await exchange.Response.OutputStream.WriteAsync(bytes, exchange.Stopping);
        exchange.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Close();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var call = Interlocked.Increment(ref _calls);
        var inFlight = Interlocked.Increment(ref _inFlight);
        var left = 0;
        void Leave()
        {
            if (Interlocked.Exchange(ref left, 1) == 0)
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        int max;
        while (inFlight > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max)
        {
        }

        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(_stopping.Token);
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null)
                .ToDictionary(k => k!, k => context.Request.Headers[k] ?? string.Empty, StringComparer.OrdinalIgnoreCase);
            var request = new Request(call, context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body, DateTime.UtcNow);
            _requests.Enqueue(request);
            await _handle(new Exchange(request, context.Response, _stopping.Token, Leave));
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or ObjectDisposedException or IOException)
        {
            // The server stopped, or the client gave up (an attempt's timeout): nothing to answer.
        }
        finally
        {
            Leave();
        }
    }
}
