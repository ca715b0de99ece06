using System.Collections.Concurrent;
using System.Reflection;
using Flow.Settings;

namespace Flow.Pipelines;

/// <summary>
/// The plug-in assemblies <c>Flow:Plugins</c> names, loaded once per path, each in a
/// <see cref="PluginLoadContext"/>, so configuration can name their node classes by
/// assembly-qualified type name (<c>MyCompany.Steps.Score, MyCompany.Steps</c>).
/// </summary>
internal static class PluginAssemblies
{
    private static readonly ConcurrentDictionary<string, Assembly> Loaded = new(StringComparer.Ordinal);

    /// <summary>Loads the assembly at <paramref name="path"/> (relative to the working folder); the problem in words when it cannot.</summary>
    public static string? Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (Loaded.ContainsKey(full))
        {
            return null;
        }

        if (!File.Exists(full))
        {
            return Directory.Exists(full)
                ? $"'{path}' is a folder; name the plug-in's .dll (e.g. '{Path.Combine(path, "MyCompany.Steps.dll")}')"
                : $"'{path}' does not exist (the path is relative to the working folder, {Environment.CurrentDirectory})";
        }

        try
        {
            Loaded.GetOrAdd(full, static f => new PluginLoadContext(f).LoadFromAssemblyPath(f));
            return null;
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException)
        {
            return $"'{path}' cannot be loaded as a .NET assembly: {ex.Message}";
        }
    }

    /// <summary>
    /// The type of an assembly-qualified name, found in a loaded plug-in when its assembly is one,
    /// else the way <see cref="Type.GetType(string)"/> finds it; null when there is none.
    /// </summary>
    public static Type? FindType(string typeName) =>
        Type.GetType(typeName, FindAssembly, typeResolver: null, throwOnError: false);

    private static Assembly? FindAssembly(AssemblyName name)
    {
        foreach (var assembly in Loaded.Values)
        {
            if (string.Equals(assembly.GetName().Name, name.Name, StringComparison.OrdinalIgnoreCase))
            {
                return assembly;
            }
        }

        try
        {
            return Assembly.Load(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }
}
