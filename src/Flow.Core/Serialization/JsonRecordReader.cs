using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Flow.Batches;
using Microsoft.Extensions.Logging;

namespace Flow.Serialization;

/// <summary>
/// Builds records straight from a <see cref="Utf8JsonReader"/>, for the JSON and JSON Lines readers of
/// one file: objects become <see cref="Record"/>s, arrays <see cref="List{T}"/>s, strings, booleans and
/// null themselves, and numbers follow one rule (see <see cref="BehaviourVersion"/>).
/// Nothing is lost or altered silently: what a record cannot hold is an error naming
/// <c>file:line:column</c>, and a number that fits no number kind is kept as its text, with a warning.
/// </summary>
/// <remarks>
/// Flow reads JSON itself rather than through <c>JsonDocument</c> so that each value is built once,
/// straight from the tokens, and so that the reading rules (numbers, repeated keys, depth) are Flow's,
/// stated here, not a serializer's defaults.
/// </remarks>
internal sealed class JsonRecordReader
{
    /// <summary>
    /// Version of the reading rules; it joins the cache signature of steps that parse JSON files, so a
    /// change of these rules invalidates their old entries. Version 2: an integer literal that fits int64
    /// is a <see cref="long"/>; any other number finite as a double is a <see cref="double"/> (-0.0 keeps
    /// its sign, 1e5 is a double); an integer beyond int64 or a number beyond the range of a double is its
    /// literal text; repeated keys, unpaired surrogates, comments and nesting beyond
    /// <see cref="BatchSerializer.MaxDepth"/> are errors. (Version 1 was System.Text.Json's JsonDocument.)
    /// </summary>
    internal const int BehaviourVersion = 2;

    /// <summary>
    /// Options for every reader: strict JSON. The reader's own depth limit sits above Flow's so that
    /// Flow's check, with its clearer message, always fires first.
    /// </summary>
    public static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = BatchSerializer.MaxDepth + 4,
    };

    /// <summary>The four whitespace bytes of JSON.</summary>
    public static ReadOnlySpan<byte> Whitespace => " \t\r\n"u8;

    // Objects with more keys than this look up repeated keys in a set rather than by a scan.
    private const int LinearKeyCheckLimit = 16;

    // The top-level field names of the last records, by position: most files repeat them record after
    // record, so one comparison of raw bytes replaces decoding (and allocating) each name again.
    private const int NameCacheSize = 64;

    private JsonTextBuffer _text;
    private readonly ILogger _logger;
    private readonly string?[] _names = new string?[NameCacheSize];

    // Short ASCII values (codes, flags, categories) repeat record after record: one instance per
    // distinct value in a small table saves an allocation and a transcoding per repeat. A hash
    // collision only replaces the slot.
    private const int ShortStringMaxLength = 16;
    private const int ShortStringSlots = 512;
    private readonly string?[] _shortStrings = new string?[ShortStringSlots];
    private readonly byte[]?[] _nameBytes = new byte[]?[NameCacheSize];
    private int _topCapacity = 8;
    private string[]? _layout;

    // The field path of the value being read, by depth: a name, or null and an array index.
    private readonly string?[] _pathNames = new string?[BatchSerializer.MaxDepth + 2];
    private readonly int[] _pathIndexes = new int[BatchSerializer.MaxDepth + 2];

    // Numbers kept as text: counted per file, but only for objects read to their end, because an
    // object that ran out of bytes is read again after a refill and must not count twice.
    private long _unrepresentable;
    private int _pendingUnrepresentable;
    private (long Line, long Column, string Field, string Literal) _pendingFirst;

    /// <param name="text">The file's bytes, for positions in messages.</param>
    /// <param name="logger">Where the warnings about numbers kept as text go.</param>
    public JsonRecordReader(JsonTextBuffer text, ILogger logger)
    {
        _text = text;
        _logger = logger;
    }

    /// <summary>
    /// Reads from another text from now on (one stream entry after another, each its own text), keeping
    /// the field names seen so far: entries of one stream mostly repeat them.
    /// </summary>
    public void Use(JsonTextBuffer text) => _text = text;

    /// <summary>Index in <see cref="JsonTextBuffer.Array"/> of the first byte the current reader reads.</summary>
    public int Origin { get; set; }

    /// <summary>
    /// Reads the object whose <see cref="JsonTokenType.StartObject"/> the reader is on, as a record.
    /// False when the bytes ran out first (only on a block that is not final): the caller refills and
    /// reads the object again from its start.
    /// </summary>
    /// <exception cref="FormatException">The object holds something a record cannot hold exactly.</exception>
    public bool TryRead(ref Utf8JsonReader reader, out Record record)
    {
        _pendingUnrepresentable = 0;
        if (!TryReadObject(ref reader, 0, out record!))
        {
            return false;
        }

        if (_pendingUnrepresentable > 0)
        {
            if (_unrepresentable == 0)
            {
                FirstUnrepresentable = _pendingFirst;
            }

            if (_unrepresentable == 0 && !Quiet)
            {
                var (line, column, field, literal) = _pendingFirst;
                JsonReaderLog.NumberKeptAsText(_logger, _text.DisplayName, line, column, field, literal);
            }

            _unrepresentable += _pendingUnrepresentable;
        }

        return true;
    }

    /// <summary>
    /// Logs nothing about numbers kept as text: a reader of one part of a file, whose caller reports
    /// them for the whole file from <see cref="Unrepresentable"/> and <see cref="FirstUnrepresentable"/>.
    /// </summary>
    public bool Quiet { get; init; }

    /// <summary>How many numbers were kept as text in the objects read to their end.</summary>
    public long Unrepresentable => _unrepresentable;

    /// <summary>Where the first number kept as text was, and what it was.</summary>
    public (long Line, long Column, string Field, string Literal) FirstUnrepresentable { get; private set; }

    /// <summary>At the end of the file: the count of numbers kept as text, when there was more than one.</summary>
    public void Complete()
    {
        if (_unrepresentable > 1)
        {
            JsonReaderLog.NumbersKeptAsText(_logger, _text.DisplayName, _unrepresentable);
        }
    }

    /// <summary>What a token is, for messages: "an object", "a number".</summary>
    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>
    /// What a syntax error of <see cref="Utf8JsonReader"/> says, without the reader's own position
    /// (0-based, and relative to what it was given): the caller names the file's line and column.
    /// </summary>
    public static string DescribeSyntaxError(JsonException exception, JsonTextBuffer text, int index)
    {
        var message = exception.Message;
        var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (position >= 0)
        {
            message = message[..position];
        }

        // The reader's advice to change its options is not the user's to take: trailing commas are not JSON.
        message = message.Contains("trailing comma", StringComparison.Ordinal)
            ? "invalid JSON: a comma must be followed by a value; trailing commas are not JSON"
            : "invalid JSON: " + message.TrimEnd().TrimEnd('.');
        if (index < text.End && text.Array[index] == (byte)'/')
        {
            message += "; comments are not JSON";
        }

        return message;
    }

    /// <summary>
    /// Whether a syntax error at the start of <paramref name="rest"/> (what is left of the text) means
    /// the text ended too early: nothing but whitespace is left, or only a comma or colon that wants more.
    /// </summary>
    public static bool IsEndOfText(ReadOnlySpan<byte> rest)
    {
        if (rest.Length > 0 && (rest[0] == (byte)',' || rest[0] == (byte)':'))
        {
            rest = rest[1..];
        }

        return rest.IndexOfAnyExcept(Whitespace) < 0;
    }

    // depth: how deep this object's values are (0 for the record itself), as BatchSerializer counts.
    private bool TryReadObject(ref Utf8JsonReader reader, int depth, out Record? record)
    {
        var top = depth == 0;
        // Top-level records share the previous one's names array while their fields match it.
        var result = top && _layout is not null ? new Record(_layout, _topCapacity) : new Record(top ? _topCapacity : 4);
        record = result;
        HashSet<string>? keys = null;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var nameStart = (int)reader.TokenStartIndex;
            var name = top && result.Count < NameCacheSize ? TopLevelName(ref reader, result.Count, depth) : ReadString(ref reader, depth, isName: true);
            if (IsRepeated(result, name, ref keys))
            {
                var where = depth == 0 ? string.Empty : $" in {FieldPath(depth - 1)}";
                throw _text.Error(Origin + nameStart, $"repeated key '{name}'{where}; a record holds one value per field, and JSON readers disagree on which one wins");
            }

            _pathNames[depth] = name;
            if (!reader.Read() || !TryReadValue(ref reader, depth, out var value))
            {
                return false;
            }

            result.Append(name, value);
        }

        if (top)
        {
            _topCapacity = Math.Max(result.Count, 1);
            _layout = result.ShareNames();
        }

        return true;
    }

    private bool TryReadArray(ref Utf8JsonReader reader, int depth, out List<object?>? list)
    {
        var result = new List<object?>();
        list = result;
        _pathNames[depth] = null;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }

            _pathIndexes[depth] = result.Count;
            if (!TryReadValue(ref reader, depth, out var value))
            {
                return false;
            }

            result.Add(value);
        }
    }

    private bool TryReadValue(ref Utf8JsonReader reader, int depth, out object? value)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value = ReadStringValue(ref reader, depth);
                return true;
            case JsonTokenType.Number:
                value = ReadNumber(ref reader, depth);
                return true;
            case JsonTokenType.True:
                value = Boxes.True;
                return true;
            case JsonTokenType.False:
                value = Boxes.False;
                return true;
            case JsonTokenType.Null:
                value = null;
                return true;
            case JsonTokenType.StartObject:
                CheckDepth(ref reader, depth);
                var objectDone = TryReadObject(ref reader, depth + 1, out var record);
                value = record;
                return objectDone;
            case JsonTokenType.StartArray:
                CheckDepth(ref reader, depth);
                var arrayDone = TryReadArray(ref reader, depth + 1, out var list);
                value = list;
                return arrayDone;
            default:
                throw _text.Error(Origin + (int)reader.TokenStartIndex, $"unexpected JSON token {reader.TokenType}");
        }
    }

    private void CheckDepth(ref Utf8JsonReader reader, int depth)
    {
        if (depth >= BatchSerializer.MaxDepth)
        {
            throw _text.Error(
                Origin + (int)reader.TokenStartIndex,
                $"field {FieldPath(depth)}: objects and arrays nest deeper than {BatchSerializer.MaxDepth} levels inside a record, more than the cache can store");
        }
    }

    private object ReadNumber(ref Utf8JsonReader reader, int depth)
    {
        if (reader.TryGetInt64(out var integer))
        {
            return Boxes.Of(integer);
        }

        // Numbers are never escaped and the reader reads one contiguous span: ValueSpan is the literal.
        var literal = reader.ValueSpan;
        if (literal.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0
            && Utf8Parser.TryParse(literal, out double number, out var consumed)
            && consumed == literal.Length
            && double.IsFinite(number))
        {
            return number;
        }

        // An integer beyond int64 would lose digits as a double, and a number beyond a double's range
        // would become infinity, which JSON cannot even write back: keep the literal, exactly.
        var text = Encoding.UTF8.GetString(literal);
        if (_unrepresentable == 0 && _pendingUnrepresentable == 0)
        {
            var (line, column) = _text.PositionOf(Origin + (int)reader.TokenStartIndex);
            _pendingFirst = (line, column, FieldPath(depth), text);
        }

        _pendingUnrepresentable++;
        return text;
    }

    private string TopLevelName(ref Utf8JsonReader reader, int position, int depth)
    {
        if (reader.ValueIsEscaped)
        {
            return ReadString(ref reader, depth, isName: true);
        }

        var raw = reader.ValueSpan;
        if (_nameBytes[position] is { } cached && raw.SequenceEqual(cached))
        {
            return _names[position]!;
        }

        var name = ReadString(ref reader, depth, isName: true);
        _nameBytes[position] = raw.ToArray();
        _names[position] = name;
        return name;
    }

    private string ReadStringValue(ref Utf8JsonReader reader, int depth)
    {
        if (reader.ValueIsEscaped)
        {
            return ReadString(ref reader, depth, isName: false);
        }

        // Unescaped ASCII bytes are the string's characters exactly (the reader has already refused
        // control characters), so they can be compared with a cached instance as they are.
        var raw = reader.ValueSpan;
        if (raw.Length is 0 or > ShortStringMaxLength || !Ascii.IsValid(raw))
        {
            return ReadString(ref reader, depth, isName: false);
        }

        var hash = 2166136261u;
        foreach (var b in raw)
        {
            hash = (hash ^ b) * 16777619u;
        }

        var slot = (int)((hash ^ (hash >> 15)) & (ShortStringSlots - 1));
        if (_shortStrings[slot] is { } cached && Ascii.Equals(raw, cached))
        {
            return cached;
        }

        var value = Encoding.ASCII.GetString(raw);
        _shortStrings[slot] = value;
        return value;
    }

    private string ReadString(ref Utf8JsonReader reader, int depth, bool isName)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            // The token's bytes are in the window (the reader returned it whole), so the fault can be pointed at.
            var start = Origin + (int)reader.TokenStartIndex;
            var what = isName ? "a key" : $"field {FieldPath(depth)}";
            var surrogate = reader.ValueIsEscaped ? FindUnpairedSurrogate(reader.ValueSpan) : -1;
            if (surrogate >= 0)
            {
                var escape = Encoding.ASCII.GetString(reader.ValueSpan.Slice(surrogate, 6));
                throw _text.Error(start + 1 + surrogate, $"{what}: the string holds '{escape}', an unpaired surrogate, which is not text a record can hold", ex);
            }

            throw _text.Error(start, $"{what}: the string is not valid UTF-8", ex);
        }
    }

    /// <summary>Offset in the raw string of the first <c>\uXXXX</c> escape that is half of a surrogate pair without its other half; -1 if none.</summary>
    internal static int FindUnpairedSurrogate(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }

            if (i + 1 < raw.Length && raw[i + 1] == (byte)'u' && TryHex(raw, i + 2, out var unit))
            {
                if (char.IsHighSurrogate((char)unit))
                {
                    if (i + 12 <= raw.Length && raw[i + 6] == (byte)'\\' && raw[i + 7] == (byte)'u'
                        && TryHex(raw, i + 8, out var low) && char.IsLowSurrogate((char)low))
                    {
                        i += 11;
                        continue;
                    }

                    return i;
                }

                if (char.IsLowSurrogate((char)unit))
                {
                    return i;
                }

                i += 5;
                continue;
            }

            // Any other escape is two characters: skip the escaped one, which may be a backslash.
            i++;
        }

        return -1;
    }

    private static bool TryHex(ReadOnlySpan<byte> raw, int start, out int value)
    {
        value = 0;
        if (start + 4 > raw.Length)
        {
            return false;
        }

        for (var i = start; i < start + 4; i++)
        {
            var digit = HexValue(raw[i]);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static bool IsRepeated(Record record, string name, ref HashSet<string>? keys)
    {
        if (keys is null)
        {
            if (record.Count < LinearKeyCheckLimit)
            {
                return record.Contains(name);
            }

            keys = new HashSet<string>(record.Names, StringComparer.Ordinal);
        }

        return !keys.Add(name);
    }

    // The path of the value at depth: origin.lat, tags[2], a.b[0].c.
    private string FieldPath(int depth)
    {
        var path = new StringBuilder();
        for (var i = 0; i <= depth; i++)
        {
            if (_pathNames[i] is { } name)
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }

                path.Append(name);
            }
            else
            {
                path.Append('[').Append(_pathIndexes[i]).Append(']');
            }
        }

        return $"'{path}'";
    }
}
