using Flow.Redis.Tests;

namespace Flow.Hosting.Tests;

/// <summary>
/// The Redis collection of this test assembly: xunit only discovers collection definitions in the
/// assembly that runs the tests, so Flow.Redis.Tests' own definition does not count here.
/// Tests in <c>[Collection("Redis")]</c> share one <see cref="RedisServerFixture"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Redis";
}
