using Flow.Sinks;
using Flow.Sources;
using Flow.Steps;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Pipelines;

/// <summary>
/// Maps the <c>Type</c> of a node to a factory. Aliases (the built-ins and what users register in DI)
/// come first; a name that is no alias is tried as an assembly-qualified type name.
/// </summary>
internal sealed class NodeTypeRegistry
{
    private readonly Dictionary<(NodeKind Kind, string Alias), Func<NodeContext, object>> _factories = new(new KeyComparer());

    public void Register(NodeKind kind, string alias, Func<NodeContext, object> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[(kind, alias)] = factory;
    }

    public void Register(NodeKind kind, string alias, Type type)
    {
        EnsureImplements(kind, type);
        Register(kind, alias, context => Activate(type, context));
    }

    public IEnumerable<string> Aliases(NodeKind kind) =>
        _factories.Keys.Where(k => k.Kind == kind).Select(k => k.Alias).OrderBy(a => a, StringComparer.Ordinal);

    /// <summary>Finds the factory for a type name, or explains why there is none.</summary>
    public bool TryResolve(NodeKind kind, string typeName, out Func<NodeContext, object>? factory, out string? error)
    {
        error = null;
        if (_factories.TryGetValue((kind, typeName), out factory))
        {
            return true;
        }

        var type = typeName.Contains(',') || typeName.Contains('.') ? LoadType(typeName) : null;
        if (type is null)
        {
            var kindName = kind.ToString().ToLowerInvariant();
            error = $"unknown {kindName} type '{typeName}' (built-in and registered {kindName}s: {string.Join(", ", Aliases(kind))}; "
                    + "or an assembly-qualified type name such as 'MyCompany.Steps.Score, MyCompany.Steps')";
            return false;
        }

        if (!Implements(kind, type))
        {
            error = $"type '{type.FullName}' does not implement {InterfaceOf(kind).Name}";
            return false;
        }

        factory = context => Activate(type, context);
        return true;
    }

    /// <summary>
    /// Creates a node of a user type through DI; a constructor may also take the node's
    /// <see cref="Parameters.NodeParameters"/> or its <see cref="NodeContext"/>.
    /// </summary>
    public static object Activate(Type type, NodeContext context)
    {
        var extra = new List<object>();
        var constructorParameters = type.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.ParameterType).ToHashSet();
        if (constructorParameters.Contains(typeof(Parameters.NodeParameters)))
        {
            extra.Add(context.Parameters);
        }

        if (constructorParameters.Contains(typeof(NodeContext)))
        {
            extra.Add(context);
        }

        return ActivatorUtilities.CreateInstance(context.Services, type, extra.ToArray());
    }

    private static Type? LoadType(string typeName)
    {
        try
        {
            return Type.GetType(typeName, throwOnError: false);
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or ArgumentException or TypeLoadException)
        {
            return null;
        }
    }

    private static void EnsureImplements(NodeKind kind, Type type)
    {
        if (!Implements(kind, type))
        {
            throw new ArgumentException($"{type.FullName} does not implement {InterfaceOf(kind).Name}", nameof(type));
        }
    }

    private static bool Implements(NodeKind kind, Type type) =>
        !type.IsAbstract && InterfaceOf(kind).IsAssignableFrom(type);

    private static Type InterfaceOf(NodeKind kind) => kind switch
    {
        NodeKind.Source => typeof(ISource),
        NodeKind.Step => typeof(IStep),
        _ => typeof(ISink),
    };

    private sealed class KeyComparer : IEqualityComparer<(NodeKind Kind, string Alias)>
    {
        public bool Equals((NodeKind Kind, string Alias) x, (NodeKind Kind, string Alias) y) =>
            x.Kind == y.Kind && string.Equals(x.Alias, y.Alias, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((NodeKind Kind, string Alias) obj) =>
            HashCode.Combine(obj.Kind, StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Alias));
    }
}
