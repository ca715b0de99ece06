namespace Flow.Core.Tests;

/// <summary>A service provider with no services: the built-in nodes need none.</summary>
internal sealed class EmptyServices : IServiceProvider
{
    public static readonly EmptyServices Instance = new();

    public object? GetService(Type serviceType) => null;
}
