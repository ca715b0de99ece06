using System.Linq.Expressions;

namespace Flow.Expressions;

/// <summary>
/// The record fields an expression reads (plain names and <c>this["Field Name"]</c> with a literal
/// name), found by walking its compiled tree: what <c>Compute</c> needs to order its assignments.
/// </summary>
internal sealed class FieldReferences : ExpressionVisitor
{
    private readonly HashSet<string> _fields = new(StringComparer.Ordinal);

    public static IReadOnlySet<string> Of(LambdaExpression expression)
    {
        var visitor = new FieldReferences();
        visitor.Visit(expression.Body);
        return visitor._fields;
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        // Reads of the record itself: a call whose first argument is the lambda's record parameter
        // (or that parameter as object) and whose second is a constant field name.
        if (node.Arguments.Count >= 2
            && Unwrap(node.Arguments[0]) is ParameterExpression
            && node.Arguments[1] is ConstantExpression { Value: string name })
        {
            _fields.Add(name);
        }

        return base.VisitMethodCall(node);
    }

    private static Expression Unwrap(Expression expression) =>
        expression is UnaryExpression { NodeType: ExpressionType.Convert } convert ? Unwrap(convert.Operand) : expression;
}
