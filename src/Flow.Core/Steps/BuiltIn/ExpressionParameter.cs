using Flow.Expressions;
using Flow.Parameters;

namespace Flow.Steps.BuiltIn;

/// <summary>Compiles an expression parameter once, at build time, reporting syntax errors with the parameter's path.</summary>
internal static class ExpressionParameter
{
    public static CompiledExpression Compile(NodeParameters parameters, string name, string? source = null)
    {
        source ??= parameters.GetRequiredString(name);
        try
        {
            return CompiledExpression.Compile(source);
        }
        catch (ExpressionException ex)
        {
            throw parameters.Error(name, $"bad expression '{source}': {ex.Message}");
        }
    }
}
