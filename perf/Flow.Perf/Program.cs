using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Flow.Perf.Scenarios;

namespace Flow.Perf;

/// <summary>
/// <c>all [--quick]</c>: every scenario, whole-process ones against their baseline programs, one table.
/// <c>bench [filter]</c>: the BenchmarkDotNet micro-benchmarks (BenchmarkDotNet's own options work too,
/// e.g. <c>bench --list flat</c>). <c>scenarios [options]</c>: the DESIGN.md performance targets as
/// ratios against a baseline measured in the same process and run.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var command = args.Length == 0 ? "" : args[0].ToLowerInvariant();
        switch (command)
        {
            case "bench":
                RunBenchmarks(args[1..]);
                return 0;
            case "all":
                return await AllCommand.RunAsync(AllOptions.Parse(args[1..])).ConfigureAwait(false);
            case "scenarios":
                return await ScenarioRunner.RunAsync(ScenarioOptions.Parse(args[1..])).ConfigureAwait(false);
            default:
                Console.Error.WriteLine("""
                    usage:
                      dotnet run -c Release --project perf/Flow.Perf -- bench [filter]
                      dotnet run -c Release --project perf/Flow.Perf -- all [--quick] [--out file.json] [--redis host:port] [--flow path/to/flow.dll]
                      dotnet run -c Release --project perf/Flow.Perf -- scenarios [--only a,b,c,d,e,s] [--redis host:port] [--out file.json] [--quick] [--e-records N] [--e-batch N] [--e-micros N]
                        [--s-records N] [--s-batch N] [--s-delay 50ms] [--s-runs N] [--s-configs 1,2,c,2c,cf,cm,c@base] [--flow path/to/flow.dll] [--s-baseline other/flow.dll]
                    """);
                return 2;
        }
    }

    private static void RunBenchmarks(string[] args)
    {
        // A bare word is a filter on benchmark names ("bench Codec" runs *Codec*); anything starting
        // with "-" goes to BenchmarkDotNet as is.
        if (args.Length == 0)
        {
            args = ["--filter", "*"];
        }
        else if (!args[0].StartsWith('-'))
        {
            args = ["--filter", .. args.Select(a => a.Contains('*') ? a : $"*{a}*"), ];
        }

        var artifacts = Path.Combine(RepoPaths.PerfFolder, "BenchmarkDotNet.Artifacts");
        var config = DefaultConfig.Instance.WithArtifactsPath(artifacts);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}

/// <summary>Where the repository's <c>perf/</c> folder is (found from the working folder up), for output files.</summary>
internal static class RepoPaths
{
    public static string PerfFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Flow.sln")))
                {
                    return Path.Combine(dir.FullName, "perf");
                }
            }

            return Directory.GetCurrentDirectory();
        }
    }

    /// <summary>
    /// A baseline program of perf/Baselines, built with Flow.Perf (project references) in the same
    /// configuration: <c>perf/Baselines/PROJECT/bin/CONFIGURATION/net10.0/ASSEMBLY.dll</c>.
    /// </summary>
    public static string Baseline(string project, string assembly)
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!); // bin/<Configuration>/net10.0/
        return Path.Combine(PerfFolder, "Baselines", project, "bin", configuration, "net10.0", assembly + ".dll");
    }
}
