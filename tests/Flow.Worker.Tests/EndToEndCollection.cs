namespace Flow.Worker.Tests;

/// <summary>
/// The tests that run the real <c>flow</c> process. They share one collection so they run one at a
/// time: several of them are heavy, and the CI machine has two cores. Those that use Redis get the
/// shared server (the one .ci/run started, or one the fixture starts).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection : ICollectionFixture<Flow.Redis.Tests.RedisServerFixture>
{
    public const string Name = "flow process";
}
