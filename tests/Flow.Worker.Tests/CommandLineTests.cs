using System.Reflection;

namespace Flow.Worker.Tests;

/// <summary>
/// The command line of <c>flow</c>, in-process: what each command line asks of the executor (or
/// why it is refused), with an executor that only records the request.
/// </summary>
public sealed class CommandLineTests
{
    private readonly List<FlowRequest> _requests = [];

    private readonly StringWriter _output = new();

    private readonly StringWriter _error = new();

    [Fact]
    public async Task NoCommand_IsRun_WithItsOptionsTurnedIntoTheirConfigurationKeys()
    {
        var exitCode = await InvokeAsync("--pipeline", "flights", "--use-cache=false", "--report", "r.json");

        Assert.Equal(0, exitCode);
        var request = Assert.Single(_requests);
        Assert.Equal(new FlowRequest("run", null, null, request.Overrides), request);
        Assert.Equal(["--Flow:Run:Pipeline=flights", "--Flow:Cache:Enabled=false", "--Flow:Run:Report=r.json"], request.Overrides);
    }

    [Theory]
    [InlineData("--use-cache", "false", "false")]
    [InlineData("--use-cache", "true", "true")]
    [InlineData("--use-cache", null, "true")]
    [InlineData("--use-cache=false", null, "false")]
    [InlineData("--use-cache", "maybe", "maybe")] // the configuration check reports it, with every other problem
    public async Task UseCache_TakesAnOptionalValue_ForFlowCacheEnabled(string option, string? value, string expected)
    {
        string[] args = value is null ? ["run", option] : ["run", option, value];
        var exitCode = await InvokeAsync(args);

        Assert.Equal(0, exitCode);
        Assert.Equal([$"--Flow:Cache:Enabled={expected}"], Assert.Single(_requests).Overrides);
    }

    [Theory]
    [InlineData("--config", "x.json", "validate")]
    [InlineData("validate", "--config", "x.json")]
    [InlineData("validate", "--config=x.json")]
    public async Task Config_BeforeOrAfterTheCommand_IsTheFileOfThatCommand(params string[] args)
    {
        var exitCode = await InvokeAsync(args);

        Assert.Equal(0, exitCode);
        Assert.Equal(new FlowRequest("validate", null, "x.json", []), Assert.Single(_requests), RequestComparer.Instance);
    }

    [Theory]
    [InlineData("stats")]
    [InlineData("clear")]
    [InlineData("gc")]
    [InlineData("explain")]
    public async Task CacheCommand_TakesConfigAndPipeline(string command)
    {
        var exitCode = await InvokeAsync("cache", command, "--config", "c.yaml", "--pipeline", "flights");

        Assert.Equal(0, exitCode);
        Assert.Equal(new FlowRequest("cache", command, "c.yaml", ["--Flow:Run:Pipeline=flights"]), Assert.Single(_requests), RequestComparer.Instance);
    }

    [Fact]
    public async Task OptionBeforeTheCommand_CountsWhenTheCommandTakesIt()
    {
        var exitCode = await InvokeAsync("--pipeline", "flights", "cache", "stats");

        Assert.Equal(0, exitCode);
        Assert.Equal(new FlowRequest("cache", "stats", null, ["--Flow:Run:Pipeline=flights"]), Assert.Single(_requests), RequestComparer.Instance);
    }

    [Fact]
    public async Task Overrides_PassThroughInTheirOrder_AfterTheOptions()
    {
        var exitCode = await InvokeAsync("run", "--Flow:Pipelines:p:BatchSize=100", "--pipeline", "p", "--Flow:Pipelines:p:Steps:0:Params:Where=delay > 30", "--Serilog:MinimumLevel:Default=Debug", "--Flow:Cache:Path=");

        Assert.Equal(0, exitCode);
        Assert.Equal(
            ["--Flow:Run:Pipeline=p", "--Flow:Pipelines:p:BatchSize=100", "--Flow:Pipelines:p:Steps:0:Params:Where=delay > 30", "--Serilog:MinimumLevel:Default=Debug", "--Flow:Cache:Path="],
            Assert.Single(_requests).Overrides);
    }

    [Theory]
    [InlineData("unknown option '--frobnicate' for 'flow'", "--frobnicate")]
    [InlineData("unknown option '-x' for 'flow'", "-x")]
    [InlineData("unknown option '--pipline' for 'flow' (did you mean '--pipeline'?)", "--pipline", "flights")]
    [InlineData("unexpected argument 'flights' for 'flow'", "--pipline", "flights")]
    [InlineData("unknown option '--versoin' for 'flow run'", "run", "--versoin")]
    [InlineData("unknown option '--reprot' for 'flow run' (did you mean '--report'?)", "run", "--reprot", "r.json")]
    [InlineData("unknown option '--use-cache' for 'flow cache stats' (an option of 'flow', 'flow run', 'flow validate')", "cache", "stats", "--use-cache=false")]
    [InlineData("unknown option '--report' for 'flow validate' (an option of 'flow', 'flow run', 'flow graph')", "validate", "--report", "r.json")]
    [InlineData("option '--report' does not apply to 'flow validate'", "--report", "r.json", "validate")]
    [InlineData("unknown option '--Foo' for 'flow'; a configuration override takes the form --Section:Key=value", "--Foo=bar")]
    [InlineData("unknown command 'valdate' for 'flow' (did you mean 'validate'?)", "valdate")]
    [InlineData("unknown command 'stat' for 'flow cache' (did you mean 'stats'?)", "cache", "stat")]
    [InlineData("unknown command 'nothing' for 'flow' (commands: run, validate, cache, graph, help, version)", "nothing")]
    [InlineData("unexpected argument 'extra' for 'flow run'", "run", "--pipeline", "p", "extra")]
    [InlineData("unexpected argument 'validate' for 'flow run'", "run", "validate")]
    [InlineData("unknown option '--Flow:X' for 'flow version'; 'flow version' reads no configuration", "version", "--Flow:X=1")]
    [InlineData("option '--config' expects a single argument but 2 were provided", "--config", "a.json", "--config", "b.json")]
    public async Task BadCommandLine_ExitsTwoNamingTheProblem_AndRunsNothing(string problem, params string[] args)
    {
        var exitCode = await InvokeAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Contains("flow: " + problem + Environment.NewLine, _error.ToString(), StringComparison.Ordinal);
        Assert.Empty(_requests);
        Assert.Equal("", _output.ToString());
    }

    [Theory]
    [InlineData("--pipeline", "NAME", "--pipeline")]
    [InlineData("--pipeline", "NAME", "run", "--pipeline")]
    [InlineData("--pipeline", "NAME", "run", "--pipeline=")]
    [InlineData("--pipeline", "NAME", "run", "--pipeline", "--report", "r.json")]
    [InlineData("--pipeline", "NAME", "cache", "clear", "--pipeline")]
    [InlineData("--pipeline", "NAME", "--pipeline", "--use-cache")]
    [InlineData("--report", "FILE", "run", "--report")]
    [InlineData("--report", "FILE", "--report", "--Flow:Cache:Enabled=false")]
    [InlineData("--config", "FILE", "validate", "--config")]
    public async Task OptionWithoutItsValue_ExitsTwoSayingItNeedsOne(string option, string value, params string[] args)
    {
        var exitCode = await InvokeAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Contains($"flow: option '{option}' needs a value: {option} {value}{Environment.NewLine}", _error.ToString(), StringComparison.Ordinal);
        Assert.Empty(_requests);
    }

    [Fact]
    public async Task OverrideInTheSpaceForm_ExitsTwoShowingTheFormToWrite()
    {
        var exitCode = await InvokeAsync("run", "--Flow:Cache:Enabled", "false");

        Assert.Equal(2, exitCode);
        Assert.Equal(
            $"flow: override '--Flow:Cache:Enabled' has no value: write --Flow:Cache:Enabled=false (overrides take the form --Section:Key=value, one argument){Environment.NewLine}See 'flow run --help'.{Environment.NewLine}",
            _error.ToString());
        Assert.Empty(_requests);
    }

    [Theory]
    [InlineData("--Flow:Cache:Enabled=false", true)]
    [InlineData("--Serilog:MinimumLevel:Default=Debug", true)]
    [InlineData("--Flow:Pipelines:p:Steps:0:Params:Map:Cost Total $=cost", true)]
    [InlineData("--Flow:Cache:Path=", true)]
    [InlineData("--Flow:Cache:Enabled", false)]
    [InlineData("--Enabled=false", false)]
    [InlineData("--Flow:=false", false)]
    [InlineData("-Flow:Cache:Enabled=false", false)]
    [InlineData("Flow:Cache:Enabled=false", false)]
    [InlineData("/Flow:Cache:Enabled=false", false)]
    public void IsOverride_OnlyTheSectionKeyEqualsValueForm(string token, bool expected)
    {
        Assert.Equal(expected, ConfigurationOverrides.IsOverride(token));
    }

    [Theory]
    [InlineData("flow", "--pipeline <NAME>", "--use-cache <true|false>", "--report <FILE>", "--config <FILE>", "--version", "run", "validate", "cache", "help", "version")]
    [InlineData("flow run", "--pipeline <NAME>", "--use-cache <true|false>", "--report <FILE>", "--config <FILE>")]
    [InlineData("flow validate", "--pipeline <NAME>", "--use-cache <true|false>", "--config <FILE>")]
    [InlineData("flow cache", "--config <FILE>", "stats", "clear", "gc", "explain")]
    [InlineData("flow cache stats", "--pipeline <NAME>", "--config <FILE>")]
    [InlineData("flow cache clear", "--pipeline <NAME>", "--config <FILE>")]
    [InlineData("flow cache gc", "--pipeline <NAME>", "--config <FILE>")]
    [InlineData("flow cache explain", "--pipeline <NAME>", "--config <FILE>")]
    [InlineData("flow help", "<COMMAND>")]
    [InlineData("flow version")]
    public async Task Help_OfEveryCommand_ShowsItsUsageAndOptions_OnStandardOutput(string command, params string[] listed)
    {
        var exitCode = await InvokeAsync([.. command.Split(' ').Skip(1), "--help"]);

        Assert.Equal(0, exitCode);
        var help = _output.ToString();
        Assert.Contains($"Usage:{Environment.NewLine}  {command} ", help, StringComparison.Ordinal);
        Assert.Contains("-?, -h, --help", help, StringComparison.Ordinal);
        Assert.All(listed, item => Assert.Contains("  " + item + " ", help, StringComparison.Ordinal));
        Assert.DoesNotContain("additional arguments", help, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", _error.ToString());
        Assert.Empty(_requests);
    }

    [Theory]
    [InlineData("flow")]
    [InlineData("flow run")]
    [InlineData("flow cache gc")]
    public async Task Help_OfAConfiguredCommand_SaysWhereConfigurationComesFromAndTheExitCodes(string command)
    {
        await InvokeAsync([.. command.Split(' ').Skip(1), "-h"]);

        Assert.Contains("--Section:Key=value", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0 success, 1 a pipeline failed, 2 configuration error", _output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("help")]
    [InlineData("help", "run")]
    [InlineData("help", "cache")]
    [InlineData("help", "cache", "stats")]
    public async Task HelpCommand_IsTheHelpOption(params string[] args)
    {
        var viaCommand = await InvokeAsync(args);
        var help = _output.ToString();
        _output.GetStringBuilder().Clear();
        var viaOption = await InvokeAsync([.. args.Skip(1), "--help"]);

        Assert.Equal((0, 0), (viaCommand, viaOption));
        Assert.Equal(_output.ToString(), help);
    }

    [Fact]
    public async Task HelpCommand_UnknownCommand_ExitsTwo()
    {
        var exitCode = await InvokeAsync("help", "cache", "stat");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("flow: unknown command 'stat' for 'flow cache' (did you mean 'stats'?)", _error.ToString(), StringComparison.Ordinal);
        Assert.Equal("", _output.ToString());
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("version")]
    public async Task Version_PrintsTheInformationalVersionOfFlow(string args)
    {
        var exitCode = await InvokeAsync(args);

        Assert.Equal(0, exitCode);
        var expected = typeof(FlowCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(expected + Environment.NewLine, _output.ToString());
        Assert.Empty(_requests);
    }

    [Fact]
    public async Task Cache_WithoutACommand_ExitsTwoListingThem()
    {
        var exitCode = await InvokeAsync("cache", "--config", "c.json");

        Assert.Equal(2, exitCode);
        var lines = _error.ToString().Split(Environment.NewLine);
        Assert.Equal("flow: 'flow cache' needs a command: stats|clear|gc|explain", lines[0]);
        Assert.Equal(["stats", "clear", "gc", "explain"], lines.Skip(1).Take(4).Select(l => l.Trim().Split(' ')[0]));
        Assert.Empty(_requests);
    }

    private Task<int> InvokeAsync(params string[] args)
    {
        var commands = new FlowCommands((request, _, _, _) =>
        {
            _requests.Add(request);
            return Task.FromResult(0);
        });
        return commands.InvokeAsync(args, _output, _error, CancellationToken.None);
    }

    // Records compare their lists by reference: compare the overrides by value.
    private sealed class RequestComparer : IEqualityComparer<FlowRequest>
    {
        public static readonly RequestComparer Instance = new();

        private static readonly string[] None = [];

        public bool Equals(FlowRequest? x, FlowRequest? y) =>
            x is not null && y is not null && x with { Overrides = None } == y with { Overrides = None } && x.Overrides.SequenceEqual(y.Overrides);

        public int GetHashCode(FlowRequest obj) => obj.Verb.GetHashCode(StringComparison.Ordinal);
    }
}
