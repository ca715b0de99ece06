namespace Flow.Redis.Tests;

/// <summary>Tests in <c>[Collection("RedisCluster")]</c> share one <see cref="RedisClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "RedisCluster";
}
