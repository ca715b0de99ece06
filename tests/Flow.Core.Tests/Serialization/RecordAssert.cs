using Flow.Batches;

namespace Flow.Tests.Serialization;

/// <summary>Deep, kind-exact record comparison: 2 and 2.0 differ, NaN equals NaN, -0.0 differs from 0.0.</summary>
internal static class RecordAssert
{
    public static void Equal(IReadOnlyList<Record> expected, IReadOnlyList<Record> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            EqualRecord(expected[i], actual[i], $"[{i}]");
        }
    }

    private static void EqualRecord(Record expected, Record actual, string path)
    {
        Assert.True(expected.Count == actual.Count, $"{path}: {expected.Count} fields expected, {actual.Count} found");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected.NameAt(i) == actual.NameAt(i), $"{path}: field {i} is '{actual.NameAt(i)}', expected '{expected.NameAt(i)}'");
            EqualValue(expected.ValueAt(i), actual.ValueAt(i), $"{path}.{expected.NameAt(i)}");
        }
    }

    private static void EqualValue(object? expected, object? actual, string path)
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: null expected, {actual} found");
                break;
            case double d:
                var other = Assert.IsType<double>(actual);
                Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(other), $"{path}: {d} expected, {other} found");
                break;
            case Record r:
                EqualRecord(r, Assert.IsType<Record>(actual), path);
                break;
            case List<object?> list:
                var actualList = Assert.IsType<List<object?>>(actual);
                Assert.True(list.Count == actualList.Count, $"{path}: {list.Count} items expected, {actualList.Count} found");
                for (var i = 0; i < list.Count; i++)
                {
                    EqualValue(list[i], actualList[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.NotNull(actual);
                Assert.True(expected.GetType() == actual.GetType(), $"{path}: {expected.GetType().Name} expected, {actual.GetType().Name} found");
                Assert.True(expected.Equals(actual), $"{path}: {expected} expected, {actual} found");
                break;
        }
    }
}
