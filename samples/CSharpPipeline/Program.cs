// A pipeline written in C#, with a custom step, in an ordinary generic host.
// Run from the repository root: dotnet run --project samples/CSharpPipeline
using Flow;
using Flow.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlow(flow => flow
    .AddStep<Score>("Score")
    .Pipeline("scored-flights", p => p
        .BatchSize(500)
        .Source("flights", "Json", new { Path = "samples/data/flights-20k.json" })
        .Step("late", "Filter", new { Where = "delay > 15" })
        .Step<Score>("score", new { Weight = 2 }, new StepOptions { Version = "1", Parallelism = 2 })
        .Sink("out", "JsonLines", new { Path = "out/scored-flights.jsonl" })));

using var host = builder.Build();
var exitCode = host.Services.GetRequiredService<FlowExitCode>();
await host.RunAsync();
return exitCode.Value;
