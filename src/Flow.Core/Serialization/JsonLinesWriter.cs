using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Flow.Batches;

namespace Flow.Serialization;

/// <summary>
/// Writes records as JSON Lines: one compact object per line, each line ended by <c>\n</c>. The bytes
/// are exactly those of <see cref="RecordJson.Write"/> (a <see cref="Utf8JsonWriter"/> with
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>), written straight into one buffer:
/// field names are escaped once per batch position and reused record after record, and strings that
/// need no escaping (printable ASCII without quote or backslash, nearly all of them) are copied as they
/// are; anything else is escaped by the same encoder the writer uses.
/// </summary>
internal static class JsonLinesWriter
{
    public static void Write(IReadOnlyList<Record> records, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new LineWriter(output);
        try
        {
            foreach (var record in records)
            {
                writer.WriteRecord(record, topLevel: true);
                writer.WriteByte((byte)'\n');
            }

            writer.Commit();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private sealed class LineWriter : IDisposable
    {
        private const int MaxNameCache = 64;

        // Printable ASCII but '"' and '\': what the relaxed encoder leaves as it is.
        private static readonly SearchValues<char> Verbatim = SearchValues.Create(
            Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c).Where(c => c != '"' && c != '\\').ToArray());

        private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

        private readonly IBufferWriter<byte> _output;

        // The escaped name ("name":) last seen at each top-level position: records of a batch share their layout.
        private readonly string?[] _names = new string?[MaxNameCache];
        private readonly byte[]?[] _encodedNames = new byte[]?[MaxNameCache];

        private static readonly BufferSizeHint SizeHint = new(64 * 1024);

        private byte[] _buffer = SizeHint.Rent();
        private int _position;

        public LineWriter(IBufferWriter<byte> output) => _output = output;

        public void Commit()
        {
            _output.Write(_buffer.AsSpan(0, _position));
            SizeHint.Used(_position);
            _position = 0;
        }

        public void Dispose()
        {
            var buffer = _buffer;
            _buffer = [];
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void WriteByte(byte value)
        {
            if (_position == _buffer.Length)
            {
                Grow(1);
            }

            _buffer[_position++] = value;
        }

        public void WriteRecord(Record record, bool topLevel)
        {
            WriteByte((byte)'{');
            var count = record.Count;
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    WriteByte((byte)',');
                }

                WriteName(record.NameAt(i), topLevel ? i : -1);
                WriteValue(record.ValueAt(i));
            }

            WriteByte((byte)'}');
        }

        private void WriteName(string name, int position)
        {
            if ((uint)position < MaxNameCache)
            {
                if (!ReferenceEquals(_names[position], name) && !string.Equals(_names[position], name, StringComparison.Ordinal))
                {
                    _encodedNames[position] = EncodeName(name);
                    _names[position] = name;
                }

                WriteBytes(_encodedNames[position]!);
                return;
            }

            WriteBytes(EncodeName(name));
        }

        private static byte[] EncodeName(string name)
        {
            var escaped = JsonEncodedText.Encode(name, Encoder).EncodedUtf8Bytes;
            var bytes = new byte[escaped.Length + 3];
            bytes[0] = (byte)'"';
            escaped.CopyTo(bytes.AsSpan(1));
            bytes[^2] = (byte)'"';
            bytes[^1] = (byte)':';
            return bytes;
        }

        private void WriteValue(object? value)
        {
            switch (value)
            {
                case null:
                    WriteBytes("null"u8);
                    break;
                case string s:
                    WriteString(s);
                    break;
                case long l:
                    {
                        EnsureCapacity(20);
                        Utf8Formatter.TryFormat(l, _buffer.AsSpan(_position), out var written);
                        _position += written;
                        break;
                    }

                case double d when double.IsFinite(d):
                    {
                        EnsureCapacity(32);
                        if (!d.TryFormat(_buffer.AsSpan(_position), out var written, default, CultureInfo.InvariantCulture))
                        {
                            throw new InvalidOperationException($"could not format the number {d}");
                        }

                        _position += written;
                        break;
                    }

                case bool b:
                    WriteBytes(b ? "true"u8 : "false"u8);
                    break;
                case Record r:
                    WriteRecord(r, topLevel: false);
                    break;
                case List<object?> list:
                    WriteByte((byte)'[');
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (i > 0)
                        {
                            WriteByte((byte)',');
                        }

                        WriteValue(list[i]);
                    }

                    WriteByte((byte)']');
                    break;
                default:
                    // A value a record's setter did not see (an item added to a list afterwards, NaN):
                    // written as the record model holds it, as RecordJson and the cache's serializer do.
                    WriteValue(RecordValue.Normalize(value));
                    break;
            }
        }

        private void WriteString(string s)
        {
            if (s.AsSpan().IndexOfAnyExcept(Verbatim) < 0)
            {
                EnsureCapacity(s.Length + 2);
                var span = _buffer.AsSpan(_position);
                span[0] = (byte)'"';
                var written = Encoding.ASCII.GetBytes(s, span[1..]);
                span[1 + written] = (byte)'"';
                _position += written + 2;
                return;
            }

            var escaped = JsonEncodedText.Encode(s, Encoder).EncodedUtf8Bytes;
            EnsureCapacity(escaped.Length + 2);
            _buffer[_position++] = (byte)'"';
            escaped.CopyTo(_buffer.AsSpan(_position));
            _position += escaped.Length;
            _buffer[_position++] = (byte)'"';
        }

        private void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            EnsureCapacity(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(_position));
            _position += bytes.Length;
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
            if (!PooledBuffer.TryGrow(ref _buffer, _position, size))
            {
                throw new InvalidOperationException("the batch is too large to write as JSON Lines");
            }
        }
    }
}
