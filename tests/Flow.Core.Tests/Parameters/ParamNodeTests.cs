using System.Collections;
using Flow.Parameters;

namespace Flow.Tests.Parameters;

public class ParamNodeTests
{
    [Fact]
    public void FromObject_reads_a_generic_dictionary_like_configuration()
    {
        var node = ParamNode.FromObject(new { Set = new Dictionary<string, string> { ["scaled"] = "value * 2", ["flag"] = "value > 1" } });

        var set = node.Child("Set")!;
        // In configuration's order (by name), so C# and configuration pipelines see maps alike.
        Assert.Equal(["flag", "scaled"], set.Children.Select(c => c.Key));
        Assert.Equal("value * 2", set.Child("scaled")!.Value);
    }

    [Fact]
    public void FromObject_reads_dictionaries_of_objects_and_hashtables()
    {
        var generic = ParamNode.FromObject(new Dictionary<string, object?> { ["Count"] = 3, ["Nested"] = new Dictionary<string, int> { ["a"] = 1 } });
        var table = ParamNode.FromObject(new Hashtable { ["Count"] = 3 });

        Assert.Equal("3", generic.Child("Count")!.Value);
        Assert.Equal("1", generic.Child("Nested")!.Child("a")!.Value);
        Assert.Equal(generic.Child("Count")!.Value, table.Child("Count")!.Value);
    }
}
