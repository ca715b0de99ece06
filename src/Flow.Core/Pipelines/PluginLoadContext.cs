using System.Reflection;
using System.Runtime.Loader;

namespace Flow.Pipelines;

/// <summary>
/// The load context of one plug-in assembly: its own dependencies come from its folder (through its
/// <c>.deps.json</c>), while every assembly the host already has (Flow.Core above all, so the
/// plug-in's steps implement the host's <see cref="IStep"/>) is shared with the host.
/// </summary>
internal sealed class PluginLoadContext(string path) : AssemblyLoadContext("Flow plug-in " + Path.GetFileName(path))
{
    private readonly AssemblyDependencyResolver _resolver = new(path);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (Default.Assemblies.Any(a => AssemblyName.ReferenceMatchesDefinition(assemblyName, a.GetName()))
            || IsHostAssembly(assemblyName))
        {
            return null;
        }

        return _resolver.ResolveAssemblyToPath(assemblyName) is { } found ? LoadFromAssemblyPath(found) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } found ? LoadUnmanagedDllFromPath(found) : IntPtr.Zero;

    // An assembly of the host not loaded yet (in its deps.json): loaded by the host, so both share it.
    private static bool IsHostAssembly(AssemblyName name)
    {
        try
        {
            Default.LoadFromAssemblyName(name);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return false;
        }
    }
}
