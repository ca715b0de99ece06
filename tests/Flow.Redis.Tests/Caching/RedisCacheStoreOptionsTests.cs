using Flow.Redis.Caching;
using StackExchange.Redis;
using StackExchange.Redis.Availability;

namespace Flow.Redis.Tests.Caching;

public sealed class RedisCacheStoreOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new RedisCacheStoreOptions();

        Assert.Equal("flow:", options.KeyPrefix);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.OperationTimeout);
        Assert.Equal(1, options.ConnectRetry);
        Assert.Equal(TimeSpan.FromSeconds(60), options.KeepAlive);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ReconnectBackoff);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ReconnectMaxBackoff);
    }

    [Fact]
    public void Configure_OptionsWinOverTheConnectionString()
    {
        var configuration = ConfigurationOptions.Parse(
            "127.0.0.1:6379,connectTimeout=99000,syncTimeout=98000,asyncTimeout=97000,connectRetry=9,keepAlive=5,abortConnect=true");
        var options = new RedisCacheStoreOptions
        {
            Configuration = "127.0.0.1:6379",
            ConnectTimeout = TimeSpan.FromMilliseconds(1500),
            OperationTimeout = TimeSpan.FromMilliseconds(2500.2),
            ConnectRetry = 2,
            KeepAlive = TimeSpan.FromSeconds(30.5),
        };

        RedisCacheStoreFactory.Configure(configuration, options);

        Assert.Equal(1500, configuration.ConnectTimeout);
        Assert.Equal(2501, configuration.AsyncTimeout);
        Assert.Equal(2501, configuration.SyncTimeout);
        Assert.Equal(2, configuration.ConnectRetry);
        Assert.Equal(31, configuration.KeepAlive);
        Assert.False(configuration.AbortOnConnectFail);
        Assert.IsType<ExponentialRetry>(configuration.ReconnectRetryPolicy);
        Assert.False(configuration.BacklogPolicy.QueueWhileDisconnected);
        Assert.Same(RetryPolicy.None, configuration.RetryPolicy);
    }

    [Theory]
    [InlineData(5000, 1000)]
    [InlineData(500, 125)]
    [InlineData(100, 100)]
    public void Configure_HeartbeatIsAQuarterOfTheOperationTimeout_Between100MsAnd1s(int operationMs, int heartbeatMs)
    {
        var configuration = ConfigurationOptions.Parse("127.0.0.1:6379");

        RedisCacheStoreFactory.Configure(configuration, new RedisCacheStoreOptions { Configuration = "x", OperationTimeout = TimeSpan.FromMilliseconds(operationMs) });

        Assert.Equal(TimeSpan.FromMilliseconds(heartbeatMs), configuration.HeartbeatInterval);
    }

    private static readonly (string Name, Action<RedisCacheStoreOptions> Change)[] InvalidChanges =
    [
        ("Configuration", o => o.Configuration = " "),
        ("ConnectTimeout", o => o.ConnectTimeout = TimeSpan.Zero),
        ("ConnectTimeout", o => o.ConnectTimeout = TimeSpan.FromDays(30)),
        ("OperationTimeout", o => o.OperationTimeout = TimeSpan.FromMilliseconds(-1)),
        ("OperationTimeout", o => o.OperationTimeout = TimeSpan.FromTicks(1)),
        ("ConnectRetry", o => o.ConnectRetry = 0),
        ("ConnectRetry", o => o.ConnectRetry = 11),
        ("KeepAlive", o => o.KeepAlive = TimeSpan.FromMilliseconds(999)),
        ("KeepAlive", o => o.KeepAlive = TimeSpan.FromDays(2)),
        ("ReconnectBackoff", o => o.ReconnectBackoff = TimeSpan.Zero),
        ("ReconnectMaxBackoff", o => o.ReconnectMaxBackoff = TimeSpan.FromMilliseconds(999)),
    ];

    public static TheoryData<int> Invalid => new(Enumerable.Range(0, InvalidChanges.Length));

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_OutOfRange_ThrowsNamingTheOption(int index)
    {
        var (name, change) = InvalidChanges[index];
        var options = new RedisCacheStoreOptions { Configuration = "127.0.0.1:6379" };
        change(options);

        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);

        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public async Task ConnectAsync_InvalidOption_ThrowsBeforeConnecting()
    {
        var options = new RedisCacheStoreOptions { Configuration = "127.0.0.1:1", OperationTimeout = TimeSpan.Zero };

        var error = await Xunit.Record.ExceptionAsync(() => RedisCacheStoreFactory.ConnectAsync(options, null, default)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("OperationTimeout", Assert.IsAssignableFrom<ArgumentException>(error).ParamName);
    }
}
