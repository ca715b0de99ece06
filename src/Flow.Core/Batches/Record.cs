using System.Collections;
using Flow.Batches;

namespace Flow;

/// <summary>
/// One record: an ordered set of named fields. Field names are case-sensitive.
/// Values are <see langword="null"/>, <see cref="bool"/>, <see cref="long"/>, a finite <see cref="double"/>,
/// <see cref="string"/>, a nested <see cref="Record"/> or a <see cref="List{T}"/> of such values;
/// <see cref="Normalize"/> turns other CLR values into these, and every writer (JSON, CSV, the cache)
/// sees the same values.
/// </summary>
/// <remarks>
/// Records are small (tens of fields), so fields are kept in two parallel arrays and looked up
/// by a linear scan: cheaper than a dictionary at these sizes and it keeps insertion order,
/// which the sinks and the cache's byte hashing rely on.
/// </remarks>
public sealed class Record : IEnumerable<KeyValuePair<string, object?>>
{
    // Values' room beyond a reader's layout, for the fields a step adds (see the layout constructor).
    private const int RoomForAddedFields = 2;

    private string[] _names;
    private object?[] _values;
    private int _count;

    // Records read from one file or batch mostly have the same fields in the same order: readers
    // hand them one names array. A record that adds a field moves to the shared array that names it
    // too (SharedLayouts); one that removes or renames a field copies the names first.
    private bool _namesShared;

    /// <summary>Creates an empty record.</summary>
    public Record() : this(8)
    {
    }

    /// <summary>Creates an empty record with room for <paramref name="capacity"/> fields.</summary>
    public Record(int capacity)
    {
        capacity = Math.Max(capacity, 1);
        _names = new string[capacity];
        _values = new object?[capacity];
    }

    /// <summary>
    /// An empty record for a reader that expects the fields named in <paramref name="layout"/>, in that
    /// order: while <see cref="Append"/> adds exactly those names, the array is shared, not copied.
    /// The values have room for <paramref name="capacity"/> fields and the few a step typically adds
    /// (a Compute's results), so adding them does not reallocate.
    /// </summary>
    internal Record(string[] layout, int capacity)
    {
        _names = layout;
        _values = new object?[capacity + RoomForAddedFields];
        _namesShared = true;
    }

    /// <summary>The names array, for a reader to hand to the next record as its layout (then shared by both).</summary>
    internal string[] ShareNames()
    {
        _namesShared = true;
        return _names;
    }

    /// <summary>Number of fields.</summary>
    public int Count => _count;

    /// <summary>Gets a field's value (null when the field is missing) or sets it (adding it at the end when new).</summary>
    public object? this[string name]
    {
        get => TryGetValue(name, out var value) ? value : null;
        set => Set(name, value);
    }

    /// <summary>The name of the field at <paramref name="index"/>.</summary>
    public string NameAt(int index) => (uint)index < (uint)_count ? _names[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The value of the field at <paramref name="index"/>.</summary>
    public object? ValueAt(int index) => (uint)index < (uint)_count ? _values[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The field names, in order.</summary>
    public IEnumerable<string> Names
    {
        get
        {
            for (var i = 0; i < _count; i++)
            {
                yield return _names[i];
            }
        }
    }

    /// <summary>Whether the record has a field named <paramref name="name"/>.</summary>
    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>Gets the value of a field; false when the field is missing.</summary>
    public bool TryGetValue(string name, out object? value)
    {
        var i = IndexOf(name);
        value = i >= 0 ? _values[i] : null;
        return i >= 0;
    }

    /// <summary>Sets a field, replacing its value in place or adding it at the end.</summary>
    public void Set(string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        value = Normalize(value);
        var i = IndexOf(name);
        if (i >= 0)
        {
            _values[i] = value;
            return;
        }

        Append(name, value);
    }

    /// <summary>
    /// Adds a field at the end without looking for an existing one: for sources that build records
    /// from names known to be distinct (a generator's fields). The value must already be normalized.
    /// </summary>
    internal void Append(string name, object? value)
    {
        if (_namesShared)
        {
            // The shared layout already names this field here, or the record moves to the shared
            // layout that does (every record of a batch gaining the same field shares one array).
            if (_count >= _names.Length || !ReferenceEquals(_names[_count], name))
            {
                _names = SharedLayouts.Grow(_names, _count, name);
            }

            if (_count == _values.Length)
            {
                Array.Resize(ref _values, Math.Max(_count * 2, 1));
            }

            _values[_count] = value;
            _count++;
            return;
        }

        if (_count == _names.Length || _count == _values.Length)
        {
            var capacity = Math.Max(_count * 2, 1);
            Array.Resize(ref _names, capacity);
            Array.Resize(ref _values, capacity);
        }

        _names[_count] = name;
        _values[_count] = value;
        _count++;
    }

    // Before the names change: a shared array becomes this record's own copy.
    private void OwnNames()
    {
        if (_namesShared)
        {
            var own = new string[Math.Max(_values.Length, _count)];
            Array.Copy(_names, own, _count);
            _names = own;
            _namesShared = false;
        }
    }

    /// <summary>Removes a field; false when it was not there.</summary>
    public bool Remove(string name)
    {
        var i = IndexOf(name);
        if (i < 0)
        {
            return false;
        }

        OwnNames();
        _count--;
        Array.Copy(_names, i + 1, _names, i, _count - i);
        Array.Copy(_values, i + 1, _values, i, _count - i);
        _names[_count] = null!;
        _values[_count] = null;
        return true;
    }

    /// <summary>Renames a field in place, keeping its position; false when it was not there.</summary>
    public bool Rename(string oldName, string newName)
    {
        ArgumentNullException.ThrowIfNull(newName);
        var i = IndexOf(oldName);
        if (i < 0)
        {
            return false;
        }

        var existing = IndexOf(newName);
        if (existing >= 0 && existing != i)
        {
            // The new name wins the old field's position; the field it replaces goes away.
            _values[existing] = _values[i];
            Remove(oldName);
            return true;
        }

        OwnNames();
        _names[i] = newName;
        return true;
    }

    /// <summary>A deep copy: nested records and lists are copied too.</summary>
    public Record Clone()
    {
        var copy = new Record(_count);
        for (var i = 0; i < _count; i++)
        {
            copy._names[i] = _names[i];
            copy._values[i] = CloneValue(_values[i]);
        }

        copy._count = _count;
        return copy;
    }

    /// <summary>
    /// Turns a CLR value into one of the value kinds a record holds: other integers become
    /// <see cref="long"/>, <see cref="float"/> and <see cref="decimal"/> a <see cref="double"/> when it
    /// holds them exactly, dates ISO 8601 text, dictionaries records, sequences lists (items normalized
    /// too); a value with no exact place (NaN, infinity, an integer beyond int64) is kept as its text.
    /// </summary>
    public static object? Normalize(object? value) => RecordValue.Normalize(value);

    /// <summary>Creates a record from name/value pairs.</summary>
    public static Record FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var record = new Record();
        foreach (var (name, value) in pairs)
        {
            record.Set(name, value);
        }

        return record;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return new KeyValuePair<string, object?>(_names[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds a field (collection-initializer support); replaces the value if the field exists.</summary>
    public void Add(string name, object? value) => Set(name, value);

    /// <summary>The record as compact JSON, for logs and messages.</summary>
    public override string ToString() => Serialization.RecordJson.ToJson(this);

    private int IndexOf(string name)
    {
        var names = _names;
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    internal static object? CloneValue(object? value) => value switch
    {
        Record r => r.Clone(),
        List<object?> list => list.Select(CloneValue).ToList(),
        _ => value,
    };
}
