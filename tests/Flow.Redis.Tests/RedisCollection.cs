namespace Flow.Redis.Tests;

/// <summary>
/// Tests in <c>[Collection("Redis")]</c> share one <see cref="RedisServerFixture"/>. xunit looks
/// for collection definitions in the test assembly itself: another test project that reuses the
/// fixture declares its own <c>[CollectionDefinition]</c> class.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Redis";
}
