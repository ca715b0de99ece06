using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Flow.Hosting.Running;

namespace Flow.Worker;

/// <summary>
/// The command line of <c>flow</c>, on System.CommandLine: <c>flow</c> (which is <c>flow run</c>),
/// <c>run</c>, <c>validate</c>, <c>cache stats|clear|gc|explain</c>, <c>help [COMMAND]</c> and
/// <c>version</c>, with <c>--help</c> on each and <c>--version</c>. A configured command hands a
/// <see cref="FlowRequest"/> to the executor it was given; a command line with any problem
/// (<see cref="CommandLineErrors"/>) runs nothing and exits 2.
/// </summary>
internal sealed class FlowCommands
{
    // No @file response files: their contents would skip the override rule.
    private static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    private readonly Func<FlowRequest, TextWriter, TextWriter, CancellationToken, Task<int>> _execute;

    // Options that stand for a configuration key, and how each writes its value there.
    private readonly List<(Option Option, string Key, Func<ParseResult, string?> Value)> _settings = [];

    private readonly Option<string> _graphFormat;

    /// <summary>Builds the tree; <paramref name="execute"/> runs a configured command (output, error, cancellation).</summary>
    public FlowCommands(Func<FlowRequest, TextWriter, TextWriter, CancellationToken, Task<int>> execute)
    {
        ArgumentNullException.ThrowIfNull(execute);
        _execute = execute;

        Config = Value(new Option<string>("--config")
        {
            Description = "A configuration file, JSON (.json) or YAML (.yaml, .yml), read after appsettings.json",
            HelpName = "FILE",
            Recursive = true, // before or after the command: flow --config x validate
        });
        var pipeline = Setting(new Option<string>("--pipeline") { Description = "Only the pipeline of this name", HelpName = "NAME" }, "Flow:Run:Pipeline");
        // Text, not a bool: a value that is not true or false is a configuration error of
        // Flow:Cache:Enabled, reported with every other problem, in Flow's words.
        var useCache = Setting(new Option<string>("--use-cache")
        {
            Description = "false: no cache lookups, every step runs and writes its results back (a refresh); alone: true",
            HelpName = "true|false",
            Arity = ArgumentArity.ZeroOrOne,
        }, "Flow:Cache:Enabled", whenAlone: "true");
        var report = Setting(new Option<string>("--report") { Description = "Also write the run's summary to this file, as JSON", HelpName = "FILE" }, "Flow:Run:Report");

        var run = Verb(new VerbCommand("run", "Runs every configured pipeline (or the one --pipeline names) and prints a summary per step. What flow alone does.", "run"), pipeline, useCache, report);
        // validate takes the options of run that are configuration it checks (not --report, whose
        // check writes a probe file), so that a run's command line can be validated as it is.
        var validate = Verb(new VerbCommand("validate", "Checks the configuration and reports every problem with its path; runs nothing.", "validate"), pipeline, useCache);
        var cache = new Command("cache", "Looks after the step cache of this configuration.");
        foreach (var (name, description) in CacheCommands.Descriptions)
        {
            cache.Subcommands.Add(Verb(new VerbCommand(name, description, "cache", name), pipeline));
        }

        cache.SetAction(result => NeedsACacheCommand(result, cache));

        // graph reads the report a run wrote: --report here names the file to read.
        var format = new Option<string>("--format") { Description = "mermaid (default) or dot", HelpName = "mermaid|dot" };
        format.AcceptOnlyFromAmong(PipelineGraph.Formats);
        _graphFormat = format;
        var graph = Verb(new VerbCommand("graph", "Draws each pipeline's graph (Mermaid or DOT); with --report FILE of a run, each step's hits and misses.", "graph"), pipeline, report, format);

        var help = new Command("help", "Shows the help of flow, or of the command named (flow help cache stats is flow cache stats --help).");
        var topic = new Argument<string[]>("COMMAND") { Arity = ArgumentArity.ZeroOrMore, Description = "A command, with its sub-command if it has one" };
        help.Arguments.Add(topic);
        help.SetAction(result => Help(result, result.GetValue(topic) ?? []));

        var version = new Command("version", "Shows the version of flow (as --version does).");
        version.SetAction(result => PrintVersion(result));

        var helpOption = new HelpOption();
        helpOption.Action = new FlowHelpAction((HelpAction)helpOption.Action!);
        Root = new VerbCommand("flow", "flow: streaming ETL pipelines with a step cache. Without a command, flow runs (flow run).", "run");
        Root.Options.Add(Config);
        Verb(Root, pipeline, useCache, report);
        Root.Options.Add(helpOption);
        Root.Options.Add(new VersionOption { Action = new VersionAction() });
        Root.Subcommands.Add(run);
        Root.Subcommands.Add(validate);
        Root.Subcommands.Add(cache);
        Root.Subcommands.Add(graph);
        Root.Subcommands.Add(help);
        Root.Subcommands.Add(version);
        Strict(Root);
    }

    /// <summary>The root command, <c>flow</c>.</summary>
    public VerbCommand Root { get; }

    /// <summary><c>--config FILE</c>, on every command.</summary>
    public Option<string> Config { get; }

    /// <summary>Parses a command line (without running anything).</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, Parsing);

    /// <summary>What a configured command was asked to do, or null when the command line names no configured command.</summary>
    public FlowRequest? Request(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.CommandResult.Command is not VerbCommand command)
        {
            return null;
        }

        var overrides = new List<string>();
        foreach (var (option, key, value) in _settings)
        {
            if (result.GetResult(option) is { Implicit: false } && value(result) is { } text)
            {
                overrides.Add($"--{key}={text}");
            }
        }

        overrides.AddRange(ConfigurationOverrides.Of(result));
        return new FlowRequest(command.Verb, command.CacheCommand, result.GetValue(Config), overrides)
        {
            GraphFormat = result.GetValue(_graphFormat) ?? "mermaid",
        };
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>: help, the version, or the command; a command line with
    /// problems prints them to <paramref name="error"/> and returns 2 without running anything.
    /// </summary>
    public async Task<int> InvokeAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var result = Parse(args);
        // --help and --version answer whatever else the line holds, as System.CommandLine means them to.
        if (result.Action is not { ClearsParseErrors: true } && CommandLineErrors.Describe(result) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync("flow: " + problem).ConfigureAwait(false);
            }

            await error.WriteLineAsync($"See '{CommandLineErrors.PathOf(result.CommandResult.Command)} --help'.").ConfigureAwait(false);
            return FlowExitCode.ConfigurationError;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // The host handles SIGTERM and Ctrl-C itself (drain, then 143 or 130): System.CommandLine
            // must not cancel the run and return on its own after two seconds.
            ProcessTerminationTimeout = null,
            // A bug is a crash with its stack trace, not exit code 1, which means "a pipeline failed".
            EnableDefaultExceptionHandler = false,
        };
        return await result.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private VerbCommand Verb(VerbCommand command, params Option[] options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction((result, cancellationToken) =>
            _execute(Request(result)!, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    // An option that stands for a configuration key; one that may stand alone (--use-cache) means
    // whenAlone then, the others need their value.
    private Option<string> Setting(Option<string> option, string key, string? whenAlone = null)
    {
        _settings.Add((option, key, result => result.GetValue(option) ?? whenAlone));
        return whenAlone is null ? Value(option) : option;
    }

    // A value option takes a value: not an empty one, and not the next option (--pipeline -x).
    private static Option<string> Value(Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is not { } value || value.Trim().Length == 0 || value.StartsWith('-'))
            {
                result.AddError(CommandLineErrors.NeedsValue(option, result.IdentifierToken?.Value));
            }
        });
        return option;
    }

    // Unknown tokens are reported by CommandLineErrors (overrides pass), and an option given before
    // a command must be one of that command's: flow --report r.json validate is an error, not a
    // report that is never written.
    private static void Strict(Command command)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        foreach (var subcommand in command.Subcommands)
        {
            subcommand.Validators.Add(RejectOptionsOfOtherCommands);
            Strict(subcommand);
        }
    }

    private static void RejectOptionsOfOtherCommands(CommandResult result)
    {
        for (var parent = result.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            foreach (var given in parent.Children.OfType<OptionResult>())
            {
                if (!given.Implicit && !given.Option.Recursive && !result.Command.Options.Contains(given.Option))
                {
                    result.AddError($"option '{given.IdentifierToken?.Value ?? given.Option.Name}' does not apply to '{CommandLineErrors.PathOf(result.Command)}'");
                }
            }
        }
    }

    private static int NeedsACacheCommand(ParseResult result, Command cache)
    {
        var error = result.InvocationConfiguration.Error;
        error.WriteLine($"flow: 'flow cache' needs a command: {string.Join("|", cache.Subcommands.Select(c => c.Name))}");
        foreach (var command in cache.Subcommands)
        {
            error.WriteLine($"  {command.Name,-8} {command.Description}");
        }

        error.WriteLine("See 'flow cache --help'.");
        return FlowExitCode.ConfigurationError;
    }

    private int Help(ParseResult result, string[] topic)
    {
        Command command = Root;
        foreach (var name in topic)
        {
            var next = command.Subcommands.FirstOrDefault(c => c.Name == name || c.Aliases.Contains(name));
            if (next is null)
            {
                result.InvocationConfiguration.Error.WriteLine("flow: " + CommandLineErrors.UnknownCommand(name, command));
                result.InvocationConfiguration.Error.WriteLine($"See '{CommandLineErrors.PathOf(command)} --help'.");
                return FlowExitCode.ConfigurationError;
            }

            command = next;
        }

        return Parse([.. topic, "--help"]).Invoke(result.InvocationConfiguration);
    }

    private static int PrintVersion(ParseResult result)
    {
        result.InvocationConfiguration.Output.WriteLine(FlowVersion.Text);
        return FlowExitCode.Success;
    }

    // --version prints what `flow version` prints: the version of flow, not of whatever assembly
    // happens to be the entry one (a test host, in the tests).
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult) => PrintVersion(parseResult);
    }
}
