using System.Reflection;

namespace Flow.Worker;

/// <summary>What <c>flow --version</c> and <c>flow version</c> print: the informational version of the flow assembly.</summary>
internal static class FlowVersion
{
    /// <summary>The assembly's informational version (with the source revision the SDK adds), else its version.</summary>
    public static string Text { get; } =
        typeof(FlowVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(FlowVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
