using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Flow.Batches;

namespace Flow.Serialization;

/// <summary>
/// The cache's compact binary format for a list of records: what the cache hashes (the input batch's
/// bytes) and what it stores (the step's output batch). The bytes are data only: no type names, nothing
/// is instantiated from them but the record value kinds.
/// </summary>
/// <remarks>
/// <para>Layout (version 2; version 1 allowed NaN and infinite doubles). <c>varint</c> is unsigned LEB128: 7 bits a byte, low group first, high bit
/// set on every byte but the last; at most 5 bytes for a count, length or index (value &lt;= int.MaxValue)
/// and 10 for a long; the shortest form only (a non-final zero byte group is rejected).</para>
/// <code>
/// batch   = version:u8 (=2)
///           nameCount:varint  name{nameCount}         ; distinct field names, in order of first use
///           recordCount:varint record{recordCount}
/// name    = byteLength:varint utf8{byteLength}
/// record  = fieldCount:varint field{fieldCount}        ; fields in record order, names distinct
/// field   = nameIndex:varint value                     ; index into the batch's name table
/// value   = tag:u8 payload
///   0x00 null      (no payload)
///   0x01 false     (no payload)
///   0x02 true      (no payload)
///   0x03 long      zig-zag varint: (n &lt;&lt; 1) ^ (n &gt;&gt; 63)
///   0x04 double    8 bytes, IEEE 754 bits, little-endian; finite only (-0.0 kept; NaN and
///                  infinity are not record values: they are written as their text, tag 0x05)
///   0x05 string    byteLength:varint utf8{byteLength}
///   0x06 record    fieldCount:varint field{fieldCount} ; nested records use the batch name table
///   0x07 list      count:varint value{count}
/// </code>
/// <para>Nothing may follow the last record. Nesting (records and lists inside values) is limited to
/// <see cref="MaxDepth"/> levels both ways. Writing is deterministic: the same records (same field
/// order, same values) always give the same bytes; <c>2</c> (long) and <c>2.0</c> (double) differ.</para>
/// <para>Strings must be valid UTF-16: writing a string with an unpaired surrogate throws
/// <see cref="ArgumentException"/> rather than storing a replacement character, so the cache never
/// serves a value that differs from the one the step produced. Reading rejects invalid UTF-8.</para>
/// </remarks>
internal static class BatchSerializer
{
    /// <summary>The format version, first byte of every payload; part of every step signature.</summary>
    public const int FormatVersion = 2;

    /// <summary>Deepest nesting of records and lists inside a record's values.</summary>
    public const int MaxDepth = 64;

    internal const byte TagNull = 0;
    internal const byte TagFalse = 1;
    internal const byte TagTrue = 2;
    internal const byte TagLong = 3;
    internal const byte TagDouble = 4;
    internal const byte TagString = 5;
    internal const byte TagRecord = 6;
    internal const byte TagList = 7;

    // Strict both ways: an unpaired surrogate or an invalid byte sequence is an error, never a silent U+FFFD.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="records"/> to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">A string is not valid UTF-16, or values nest deeper than <see cref="MaxDepth"/>.</exception>
    public static void Write(IReadOnlyList<Record> records, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new Writer();
        try
        {
            writer.WriteBatch(records);
            writer.CopyTo(output);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Serializes <paramref name="records"/> to a new array.</summary>
    /// <exception cref="ArgumentException">A string is not valid UTF-16, or values nest deeper than <see cref="MaxDepth"/>.</exception>
    public static byte[] Serialize(IReadOnlyList<Record> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var writer = new Writer();
        try
        {
            writer.WriteBatch(records);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Reads records written by <see cref="Write"/> or <see cref="Serialize"/>.</summary>
    /// <exception cref="FormatException">The bytes are not a valid payload of this format version.</exception>
    public static List<Record> Deserialize(ReadOnlySpan<byte> data)
    {
        var reader = new Reader(data);
        return reader.ReadBatch();
    }

    /// <summary>
    /// Writes the records into a pooled scratch buffer while it builds the name table, then emits
    /// header, table and records: one pass over the records, one copy of the bytes.
    /// </summary>
    private sealed class Writer : IDisposable
    {
        private const int MaxFieldCache = 64;

        private readonly Dictionary<string, int> _nameIndexes = new(StringComparer.Ordinal);
        private readonly List<string> _names = [];

        // Records of a batch almost always share their field layout: remembering the name seen at
        // each top-level position turns most dictionary lookups into one short string comparison.
        private readonly string?[] _lastNames = new string?[MaxFieldCache];
        private readonly int[] _lastIndexes = new int[MaxFieldCache];

        private static readonly BufferSizeHint SizeHint = new(16 * 1024);

        private byte[] _buffer = SizeHint.Rent();
        private int _position;
        private int _recordCount;

        public void WriteBatch(IReadOnlyList<Record> records)
        {
            _recordCount = records.Count;
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i] ?? throw new ArgumentException($"Record {i} is null.", nameof(records));
                WriteRecord(record, depth: 0, topLevel: true);
            }
        }

        public byte[] ToArray()
        {
            var header = BuildHeader(out var headerLength);
            try
            {
                var result = GC.AllocateUninitializedArray<byte>(headerLength + _position);
                header.AsSpan(0, headerLength).CopyTo(result);
                _buffer.AsSpan(0, _position).CopyTo(result.AsSpan(headerLength));
                return result;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(header);
            }
        }

        public void CopyTo(IBufferWriter<byte> output)
        {
            var header = BuildHeader(out var headerLength);
            try
            {
                output.Write(header.AsSpan(0, headerLength));
                output.Write(_buffer.AsSpan(0, _position));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(header);
            }
        }

        public void Dispose()
        {
            var buffer = _buffer;
            _buffer = [];
            if (buffer.Length > 0)
            {
                SizeHint.Used(_position);
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private byte[] BuildHeader(out int length)
        {
            var size = 1 + 5 + 5;
            foreach (var name in _names)
            {
                size += 5 + StrictUtf8.GetByteCount(name);
            }

            var header = ArrayPool<byte>.Shared.Rent(size);
            var span = header.AsSpan();
            span[0] = FormatVersion;
            var pos = 1;
            pos += WriteVarint(span[pos..], (uint)_names.Count);
            foreach (var name in _names)
            {
                // Names were checked for valid UTF-16 when they entered the table.
                pos += WriteVarint(span[pos..], (uint)StrictUtf8.GetByteCount(name));
                pos += StrictUtf8.GetBytes(name, span[pos..]);
            }

            pos += WriteVarint(span[pos..], (uint)_recordCount);
            length = pos;
            return header;
        }

        private void WriteRecord(Record record, int depth, bool topLevel)
        {
            var count = record.Count;
            WriteVarint((uint)count);
            for (var i = 0; i < count; i++)
            {
                WriteVarint((uint)NameIndex(record.NameAt(i), topLevel ? i : -1));
                WriteValue(record.ValueAt(i), depth);
            }
        }

        private int NameIndex(string name, int position)
        {
            if ((uint)position < MaxFieldCache)
            {
                var last = _lastNames[position];
                if (last is not null && string.Equals(last, name, StringComparison.Ordinal))
                {
                    return _lastIndexes[position];
                }
            }

            if (!_nameIndexes.TryGetValue(name, out var index))
            {
                ValidateUtf16(name);
                index = _names.Count;
                _names.Add(name);
                _nameIndexes.Add(name, index);
            }

            if ((uint)position < MaxFieldCache)
            {
                _lastNames[position] = name;
                _lastIndexes[position] = index;
            }

            return index;
        }

        private void WriteValue(object? value, int depth)
        {
            switch (value)
            {
                case null:
                    WriteByte(TagNull);
                    break;
                case string s:
                    WriteByte(TagString);
                    WriteString(s);
                    break;
                case long l:
                    WriteByte(TagLong);
                    WriteVarint((ulong)((l << 1) ^ (l >> 63)));
                    break;
                case double d when double.IsFinite(d):
                    EnsureCapacity(9);
                    _buffer[_position] = TagDouble;
                    BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_position + 1), BitConverter.DoubleToInt64Bits(d));
                    _position += 9;
                    break;
                case bool b:
                    WriteByte(b ? TagTrue : TagFalse);
                    break;
                case Record r:
                    if (depth >= MaxDepth)
                    {
                        throw TooDeep();
                    }

                    WriteByte(TagRecord);
                    WriteRecord(r, depth + 1, topLevel: false);
                    break;
                case List<object?> list:
                    if (depth >= MaxDepth)
                    {
                        throw TooDeep();
                    }

                    WriteByte(TagList);
                    WriteVarint((uint)list.Count);
                    foreach (var item in list)
                    {
                        WriteValue(item, depth + 1);
                    }

                    break;
                default:
                    // A list built by hand can hold CLR values a record's setter would have normalized
                    // (an int, a decimal, NaN): write them as the record would hold them, the way the
                    // JSON writer does, so a replay gives the same bytes as the computed run.
                    WriteValue(RecordValue.Normalize(value), depth);
                    break;
            }
        }

        private static ArgumentException TooDeep() =>
            new($"Records and lists nest deeper than {MaxDepth} levels (or a record contains itself); the batch cannot be serialized.");

        private void WriteString(string s)
        {
            // Short strings (nearly all of them) fit a one-byte length even at 3 bytes a char:
            // encode in place after that byte. Longer ones count their bytes first.
            if (s.Length <= 42)
            {
                EnsureCapacity(1 + (s.Length * 3));
                var written = Encode(s, _buffer.AsSpan(_position + 1));
                _buffer[_position] = (byte)written;
                _position += 1 + written;
                return;
            }

            int byteCount;
            try
            {
                byteCount = StrictUtf8.GetByteCount(s);
            }
            catch (EncoderFallbackException ex)
            {
                throw InvalidString(ex);
            }

            WriteVarint((uint)byteCount);
            EnsureCapacity(byteCount);
            _position += Encode(s, _buffer.AsSpan(_position));
        }

        private static int Encode(string s, Span<byte> destination)
        {
            try
            {
                return StrictUtf8.GetBytes(s, destination);
            }
            catch (EncoderFallbackException ex)
            {
                throw InvalidString(ex);
            }
        }

        private static void ValidateUtf16(string s)
        {
            try
            {
                _ = StrictUtf8.GetByteCount(s);
            }
            catch (EncoderFallbackException ex)
            {
                throw InvalidString(ex);
            }
        }

        private static ArgumentException InvalidString(Exception inner) =>
            new("A string holds an unpaired surrogate (invalid UTF-16); the batch cannot be serialized.", inner);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void WriteByte(byte value)
        {
            if (_position == _buffer.Length)
            {
                Grow(1);
            }

            _buffer[_position++] = value;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void WriteVarint(uint value)
        {
            EnsureCapacity(5);
            var buffer = _buffer;
            var pos = _position;
            while (value >= 0x80)
            {
                buffer[pos++] = (byte)(value | 0x80);
                value >>= 7;
            }

            buffer[pos++] = (byte)value;
            _position = pos;
        }

        private void WriteVarint(ulong value)
        {
            EnsureCapacity(10);
            var buffer = _buffer;
            var pos = _position;
            while (value >= 0x80)
            {
                buffer[pos++] = (byte)(value | 0x80);
                value >>= 7;
            }

            buffer[pos++] = (byte)value;
            _position = pos;
        }

        private static int WriteVarint(Span<byte> destination, uint value)
        {
            var pos = 0;
            while (value >= 0x80)
            {
                destination[pos++] = (byte)(value | 0x80);
                value >>= 7;
            }

            destination[pos++] = (byte)value;
            return pos;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void EnsureCapacity(int size)
        {
            if (_buffer.Length - _position < size)
            {
                Grow(size);
            }
        }

        private void Grow(int size)
        {
            // ArgumentException: what marks a batch the cache cannot hold (it then runs uncached).
            if (!PooledBuffer.TryGrow(ref _buffer, _position, size))
            {
                throw new ArgumentException("The batch is too large to serialize.");
            }
        }
    }

    /// <summary>
    /// A bounds-checked reader: every count is checked against the bytes left before anything is
    /// allocated from it, so a corrupt length can never ask for more memory than the input's size.
    /// </summary>
    private ref struct Reader
    {
        private const int ShortStringMaxLength = 16;
        private const int ShortStringSlots = 256;

        private readonly ReadOnlySpan<byte> _data;
        private int _position;
        private string[] _names;
        private int[] _used;
        private string[]? _layout;
        private int _stamp;
        private string?[]? _shortStrings;

        public Reader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _position = 0;
            _names = [];
            _used = [];
            _layout = null;
            _stamp = 0;
            _shortStrings = null;
        }

        private readonly int Remaining => _data.Length - _position;

        public List<Record> ReadBatch()
        {
            if (_data.IsEmpty)
            {
                throw Malformed("the payload is empty");
            }

            var version = _data[_position++];
            if (version != FormatVersion)
            {
                throw new FormatException($"Unsupported batch format version {version} (expected {FormatVersion}).");
            }

            // Every name takes at least one byte (its length).
            var nameCount = ReadCount(Remaining, "name count");
            _names = nameCount == 0 ? [] : new string[nameCount];
            _used = nameCount == 0 ? [] : new int[nameCount];
            for (var i = 0; i < nameCount; i++)
            {
                _names[i] = ReadUtf8("field name");
            }

            // Every record takes at least one byte (its field count).
            var recordCount = ReadCount(Remaining, "record count");
            var records = new List<Record>(recordCount);
            for (var i = 0; i < recordCount; i++)
            {
                records.Add(ReadRecord(depth: 0));
            }

            if (_position != _data.Length)
            {
                throw Malformed($"{_data.Length - _position} unexpected bytes after the last record");
            }

            return records;
        }

        private Record ReadRecord(int depth)
        {
            // Every field takes at least two bytes (a name index and a tag).
            var fieldCount = ReadCount(Remaining / 2, "field count");

            // Top-level records share the previous one's names array while their fields match it.
            var record = depth == 0 && _layout is not null ? new Record(_layout, fieldCount) : new Record(fieldCount);

            // A top-level record marks the names it used with its own stamp, so a repeated name is one
            // array read, not a scan; a nested record (read in the middle of its parent, which would
            // overwrite the parent's marks) scans its few fields instead.
            var stamp = depth == 0 ? ++_stamp : 0;
            for (var i = 0; i < fieldCount; i++)
            {
                var nameIndex = ReadVarint32("name index");
                if ((uint)nameIndex >= (uint)_names.Length)
                {
                    throw Malformed($"name index {nameIndex} is outside the name table ({_names.Length} names)");
                }

                var value = ReadValue(depth);
                var name = _names[nameIndex];
                if (depth == 0 ? _used[nameIndex] == stamp : record.Contains(name))
                {
                    throw Malformed($"field '{name}' appears twice in one record");
                }

                if (depth == 0)
                {
                    _used[nameIndex] = stamp;
                }

                // Values read here are already of the record's kinds: no normalizing, no second lookup.
                record.Append(name, value);
            }

            if (depth == 0)
            {
                _layout = record.ShareNames();
            }

            return record;
        }

        private object? ReadValue(int depth)
        {
            if (_position >= _data.Length)
            {
                throw Truncated();
            }

            var tag = _data[_position++];
            switch (tag)
            {
                case TagNull:
                    return null;
                case TagFalse:
                    return Boxes.False;
                case TagTrue:
                    return Boxes.True;
                case TagLong:
                    {
                        var raw = ReadVarint64();
                        var value = (long)(raw >> 1) ^ -(long)(raw & 1);
                        return Boxes.Of(value);
                    }

                case TagDouble:
                    if (Remaining < 8)
                    {
                        throw Truncated();
                    }

                    var number = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(_data.Slice(_position, 8)));
                    if (!double.IsFinite(number))
                    {
                        throw Malformed("a double is NaN or infinite, which no record holds");
                    }

                    _position += 8;
                    return number;
                case TagString:
                    return ReadStringValue();
                case TagRecord:
                    if (depth >= MaxDepth)
                    {
                        throw Malformed($"values nest deeper than {MaxDepth} levels");
                    }

                    return ReadRecord(depth + 1);
                case TagList:
                    {
                        if (depth >= MaxDepth)
                        {
                            throw Malformed($"values nest deeper than {MaxDepth} levels");
                        }

                        // Every value takes at least one byte (its tag).
                        var count = ReadCount(Remaining, "list length");
                        var list = new List<object?>(count);
                        for (var i = 0; i < count; i++)
                        {
                            list.Add(ReadValue(depth + 1));
                        }

                        return list;
                    }

                default:
                    throw Malformed($"unknown value tag 0x{tag:x2} at offset {_position - 1}");
            }
        }

        /// <summary>
        /// Reads a string value. Short ASCII values (codes, flags, categories) repeat across the records
        /// of a batch: a small per-batch table hands out one instance per distinct value, which saves an
        /// allocation and a transcoding per repeat. A hash collision only replaces the slot.
        /// </summary>
        private string ReadStringValue()
        {
            var start = _position;
            var length = ReadVarint32("string length");
            if (length > Remaining)
            {
                throw Truncated();
            }

            var bytes = _data.Slice(_position, length);
            if (length is 0 or > ShortStringMaxLength || !Ascii.IsValid(bytes))
            {
                _position = start;
                return ReadUtf8("string");
            }

            _position += length;
            var cache = _shortStrings ??= new string?[ShortStringSlots];
            var slot = ShortStringSlot(bytes);
            var cached = cache[slot];
            if (cached is not null && Ascii.Equals(bytes, cached))
            {
                return cached;
            }

            var value = Encoding.ASCII.GetString(bytes);
            cache[slot] = value;
            return value;
        }

        private static int ShortStringSlot(ReadOnlySpan<byte> bytes)
        {
            // FNV-1a over at most ShortStringMaxLength bytes.
            var hash = 2166136261u;
            foreach (var b in bytes)
            {
                hash = (hash ^ b) * 16777619u;
            }

            return (int)((hash ^ (hash >> 15)) & (ShortStringSlots - 1));
        }

        private string ReadUtf8(string what)
        {
            var length = ReadVarint32(what + " length");
            if (length > Remaining)
            {
                throw Truncated();
            }

            var bytes = _data.Slice(_position, length);
            _position += length;
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException ex)
            {
                throw new FormatException($"Malformed batch payload: a {what} is not valid UTF-8.", ex);
            }
        }

        private int ReadCount(int max, string what)
        {
            var count = ReadVarint32(what);
            if (count > max)
            {
                throw Malformed($"{what} {count} is more than the {Remaining} bytes left can hold (truncated or corrupt)");
            }

            return count;
        }

        private int ReadVarint32(string what)
        {
            uint result = 0;
            for (var shift = 0; shift < 35; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    throw Truncated();
                }

                var b = _data[_position++];
                result |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    if (b == 0 && shift > 0)
                    {
                        throw Malformed($"{what} is not in its shortest form");
                    }

                    if (shift == 28 && b > 0x07)
                    {
                        throw Malformed($"{what} is larger than {int.MaxValue}");
                    }

                    return (int)result;
                }
            }

            throw Malformed($"{what} is longer than 5 bytes");
        }

        private ulong ReadVarint64()
        {
            ulong result = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    throw Truncated();
                }

                var b = _data[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    if (b == 0 && shift > 0)
                    {
                        throw Malformed("a long is not in its shortest form");
                    }

                    if (shift == 63 && b > 0x01)
                    {
                        throw Malformed("a long does not fit in 64 bits");
                    }

                    return result;
                }
            }

            throw Malformed("a long is longer than 10 bytes");
        }

        private readonly FormatException Truncated() =>
            new($"Malformed batch payload: truncated ({_data.Length} bytes, more needed at offset {_position}).");

        private static FormatException Malformed(string reason) => new($"Malformed batch payload: {reason}.");
    }
}
