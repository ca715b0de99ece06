using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Flow.Hosting.Running;

namespace Flow.Worker;

/// <summary>
/// System.CommandLine's help (description, usage, options, commands), followed, for the commands
/// that read configuration, by what their options cannot say: where configuration comes from,
/// the override form, and the exit codes.
/// </summary>
internal sealed class FlowHelpAction(HelpAction help) : SynchronousCommandLineAction
{
    /// <inheritdoc />
    public override bool ClearsParseErrors => true;

    /// <inheritdoc />
    public override int Invoke(ParseResult parseResult)
    {
        // The commands leave unknown tokens unmatched for CommandLineErrors, and System.CommandLine's
        // help reads that as "[--] <additional arguments>" passed on to a program: flow has none.
        // The command is done parsing, so describe it for a moment as what it really is: strict.
        var command = parseResult.CommandResult.Command;
        var lenient = command.TreatUnmatchedTokensAsErrors;
        command.TreatUnmatchedTokensAsErrors = true;
        try
        {
            help.Invoke(parseResult);
        }
        finally
        {
            command.TreatUnmatchedTokensAsErrors = lenient;
        }

        if (command is VerbCommand)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"""
                Configuration, later wins: appsettings.json in the working folder, --config FILE (.json, .yaml or
                .yml), FLOW_X__Y or Flow__X__Y environment variables, then overrides of any key in the form
                --Section:Key=value (one argument), e.g. --Flow:Pipelines:flights:BatchSize=100.

                Exit codes: {FlowExitCode.Success} success, {FlowExitCode.Failed} a pipeline failed, {FlowExitCode.ConfigurationError} configuration error or bad command line, {FlowExitCode.Interrupted}/{FlowExitCode.Terminated} interrupted.

                """);
        }

        return FlowExitCode.Success;
    }
}
