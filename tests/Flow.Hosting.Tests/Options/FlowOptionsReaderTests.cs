using Flow.Settings;
using Flow.Hosting.Options;
using Microsoft.Extensions.Configuration;

namespace Flow.Hosting.Tests.Options;

/// <summary>The Flow section is read with Flow's grammars, and every problem is reported at once.</summary>
public sealed class FlowOptionsReaderTests
{
    [Fact]
    public void Read_DurationsAndSizesInFlowsGrammar_AreTaken()
    {
        var (options, errors) = Read(new()
        {
            ["Flow:Cache:Ttl"] = "7d",
            ["Flow:Cache:MaxSize"] = "2GB",
            ["Flow:Cache:Store"] = "memory",
            ["Flow:DrainTimeout"] = "30s",
            ["Flow:AbortGrace"] = "00:00:02",
            ["Flow:Cache:Enabled"] = "false",
            ["Flow:Cache:LeaseTime"] = "2s",
        });

        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Cache.LeaseTime);
        Assert.Equal(TimeSpan.FromDays(7), options.Cache.Ttl);
        Assert.Equal("2GB", options.Cache.MaxSize);
        Assert.Equal("memory", options.Cache.Store); // matched against the registered stores, ignoring case
        Assert.Equal(TimeSpan.FromSeconds(30), options.DrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.AbortGrace);
        Assert.False(options.Cache.Enabled);
    }

    [Fact]
    public void Read_EveryProblem_IsReportedAtOnce_InFlowsWords()
    {
        var (_, errors) = Read(new()
        {
            ["Flow:Cache:Stor"] = "File",
            ["Flow:Cache:Enabld"] = "true",
            ["Flow:Pipelnes:p:BatchSize"] = "1",
            ["Flow:Cache:Ttl"] = "abc",
            ["Flow:DrainTimeout"] = "0s",
            ["Flow:Cache:Enabled"] = "maybe",
            ["Flow:Cache:MaxSize"] = "lots",
            ["Flow:Run:Pipelin"] = "x",
        });

        var messages = errors.Select(e => e.ToString()).ToList();
        Assert.Contains(messages, m => m.StartsWith("Flow:Cache:Stor: unknown setting 'Stor' (did you mean 'Store'?)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Flow:Cache:Enabld: unknown setting 'Enabld' (did you mean 'Enabled'?)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Flow:Pipelnes: unknown setting 'Pipelnes' (did you mean 'Pipelines'?)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Flow:Run:Pipelin: unknown setting 'Pipelin' (did you mean 'Pipeline'?)", StringComparison.Ordinal));
        Assert.Contains("Flow:Cache:Ttl: 'abc' is not a duration such as 00:00:00.001, 250us, 1ms, 2s, 5m, 1h or 7d (above zero)", messages);
        Assert.Contains("Flow:DrainTimeout: '0s' is not a duration such as 00:00:00.001, 250us, 1ms, 2s, 5m, 1h or 7d (above zero)", messages);
        Assert.Contains("Flow:Cache:Enabled: 'maybe' is not true or false", messages);
        Assert.Contains("Flow:Cache:MaxSize: 'lots' is not a size such as 500MB, 2GB, 64KB or a number of bytes", messages);
        Assert.Equal(8, errors.Count);
    }

    [Fact]
    public void Read_LeaseTime_DefaultsToThirtySeconds_AndMustBeADurationOfAtLeast100ms()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Read(new()).Options.Cache.LeaseTime);
        Assert.Equal(TimeSpan.FromMilliseconds(100), Read(new() { ["Flow:Cache:LeaseTime"] = "100ms" }).Options.Cache.LeaseTime);

        var (tooShort, shortErrors) = Read(new() { ["Flow:Cache:LeaseTime"] = "99ms" });
        Assert.Equal("Flow:Cache:LeaseTime: '99ms' is too short for a lease: at least 100ms", Assert.Single(shortErrors).ToString());
        Assert.Equal(TimeSpan.FromSeconds(30), tooShort.Cache.LeaseTime);

        var (_, badErrors) = Read(new() { ["Flow:Cache:LeaseTime"] = "soon" });
        Assert.Equal("Flow:Cache:LeaseTime: 'soon' is not a duration such as 00:00:00.001, 250us, 1ms, 2s, 5m, 1h or 7d (above zero)", Assert.Single(badErrors).ToString());
    }

    [Fact]
    public void Read_ASectionWhereAValueBelongs_IsAnError()
    {
        var (_, errors) = Read(new() { ["Flow:Cache:Ttl:Days"] = "7" });

        Assert.Equal("Flow:Cache:Ttl: expected a value, found a section", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Read_PluginsThatCannotBeLoaded_AreErrorsOfTheirIndex_AndAFlowAssemblyLoads()
    {
        var folder = Directory.CreateTempSubdirectory("flow-plugins-").FullName;
        try
        {
            var notAnAssembly = Path.Combine(folder, "notes.dll");
            File.WriteAllText(notAnAssembly, "not a .NET assembly");
            var real = typeof(FlowOptions).Assembly.Location;

            var (options, errors) = Read(new()
            {
                ["Flow:Plugins:0"] = real,
                ["Flow:Plugins:1"] = Path.Combine(folder, "missing.dll"),
                ["Flow:Plugins:2"] = notAnAssembly,
                ["Flow:Plugins:3"] = folder,
                ["Flow:Plugins:4"] = " ",
            });

            var messages = errors.Select(e => e.ToString()).ToList();
            Assert.Equal(4, messages.Count);
            Assert.StartsWith($"Flow:Plugins:1: '{Path.Combine(folder, "missing.dll")}' does not exist", messages[0], StringComparison.Ordinal);
            Assert.StartsWith($"Flow:Plugins:2: '{notAnAssembly}' cannot be loaded as a .NET assembly: ", messages[1], StringComparison.Ordinal);
            Assert.StartsWith($"Flow:Plugins:3: '{folder}' is a folder; name the plug-in's .dll", messages[2], StringComparison.Ordinal);
            Assert.Equal("Flow:Plugins:4: is empty; name a plug-in assembly (.dll)", messages[3]);
            Assert.Equal([real], options.Plugins);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Read_PluginsAsOneValue_IsAnErrorAskingForAList()
    {
        var (_, errors) = Read(new() { ["Flow:Plugins"] = "plugins/My.dll" });

        Assert.Equal("Flow:Plugins: expected a list of plug-in assembly paths, e.g. [ \"plugins/MyCompany.Steps.dll\" ]", Assert.Single(errors).ToString());
    }

    private static (FlowOptions Options, IReadOnlyList<ConfigurationError> Errors) Read(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new FlowOptions();
        return (options, FlowOptionsReader.Read(configuration, options));
    }
}
