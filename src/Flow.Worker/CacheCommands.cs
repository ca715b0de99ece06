namespace Flow.Worker;

/// <summary><c>flow cache stats|clear|gc|explain</c>.</summary>
internal static class CacheCommands
{
    public static async Task<int> RunAsync(IServiceProvider services, string command)
    {
        _ = services;
        await Console.Error.WriteLineAsync($"flow cache {command}: the step cache is not built yet").ConfigureAwait(false);
        return 1;
    }
}
