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
    private readonly Dictionary<(NodeKind Kind, string Alias), Registration> _factories = new(new KeyComparer());

    /// <summary>
    /// The name a type is known by in cache signatures: <c>Namespace.Type, Assembly</c> for classes
    /// (without version or key, so a rebuild does not invalidate the cache: bump the step's Version instead).
    /// </summary>
    public static string CanonicalName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    /// <summary>
    /// Registers a factory under an alias. <paramref name="behaviour"/> is the version of the node's
    /// behaviour (a built-in's, or null to take the <see cref="StepVersionAttribute"/> of the
    /// class the factory makes): it joins a step's cache signature, so a release that changes what a
    /// built-in computes never replays results of the old behaviour.
    /// </summary>
    /// <param name="kind">Source, step or sink.</param>
    /// <param name="alias">The <c>Type</c> it is known by.</param>
    /// <param name="factory">Builds the node.</param>
    /// <param name="behaviour">The behaviour version, or null.</param>
    /// <param name="parameters">Every parameter name the node takes (built-ins), or null to accept what it asks for while it is built.</param>
    public void Register(NodeKind kind, string alias, Func<NodeContext, object> factory, string? behaviour = null, IReadOnlyList<string>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[(kind, alias)] = new Registration(factory, alias, behaviour, parameters);
    }

    public void Register(NodeKind kind, string alias, Type type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        EnsureImplements(kind, type);

        // An alias of a class signs as the class, so the alias and the type name share cache entries.
        _factories[(kind, alias)] = new Registration(context => Activate(type, context), CanonicalName(type), null, null);
    }

    /// <summary>The aliases that declare their parameters (the built-ins and plug-ins' registrations), with them.</summary>
    public IEnumerable<(NodeKind Kind, string Alias, IReadOnlyList<string> Parameters)> DeclaredParameters() =>
        _factories.Where(f => f.Value.Parameters is not null).Select(f => (f.Key.Kind, f.Key.Alias, f.Value.Parameters!));

    public IEnumerable<string> Aliases(NodeKind kind) =>
        _factories.Keys.Where(k => k.Kind == kind).Select(k => k.Alias).OrderBy(a => a, StringComparer.Ordinal);

    /// <summary>Finds the registration of a type name, or explains why there is none.</summary>
    public bool TryResolve(NodeKind kind, string typeName, out Registration? registration, out string? error)
    {
        error = null;
        registration = null;
        if (_factories.TryGetValue((kind, typeName), out var registered))
        {
            registration = registered;
            return true;
        }

        var type = typeName.Contains(',') || typeName.Contains('.') ? LoadType(typeName) : null;
        if (type is null)
        {
            var kindName = kind.ToString().ToLowerInvariant();
            var aliases = Aliases(kind).ToList();
            error = $"unknown {kindName} type '{typeName}'{Parameters.Suggestions.DidYouMean(typeName, aliases)} (built-in and registered {kindName}s: {string.Join(", ", aliases)}; "
                    + "or an assembly-qualified type name such as 'MyCompany.Steps.Score, MyCompany.Steps')";
            return false;
        }

        if (!Implements(kind, type))
        {
            error = $"type '{type.FullName}' does not implement {InterfaceOf(kind).Name}";
            return false;
        }

        registration = new Registration(context => Activate(type, context), CanonicalName(type), null, null);
        return true;
    }

    /// <summary>The code version a node class declares with <see cref="StepVersionAttribute"/>, or null.</summary>
    public static string? DeclaredVersion(Type type) =>
        type.GetCustomAttributes(typeof(StepVersionAttribute), inherit: false) is [StepVersionAttribute declared, ..] ? declared.Version : null;

    /// <summary>How to make one node type: its factory, the name it signs as, and its behaviour version when known.</summary>
    /// <param name="Factory">Builds the node.</param>
    /// <param name="Canonical">The type as it enters cache signatures.</param>
    /// <param name="Behaviour">A built-in's behaviour version; null to use the built class's <see cref="StepVersionAttribute"/>.</param>
    /// <param name="Parameters">The parameter names a built-in takes; null for a node that declares none (what it asks for counts).</param>
    public sealed record Registration(Func<NodeContext, object> Factory, string Canonical, string? Behaviour, IReadOnlyList<string>? Parameters);

    /// <summary>
    /// Creates a node of a user type through DI; a constructor may also take the node's
    /// <see cref="NodeParameters"/> or its <see cref="NodeContext"/>.
    /// </summary>
    public static object Activate(Type type, NodeContext context)
    {
        var extra = new List<object>();
        var constructorParameters = type.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.ParameterType).ToHashSet();
        if (constructorParameters.Contains(typeof(NodeParameters)))
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
            return PluginAssemblies.FindType(typeName);
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
