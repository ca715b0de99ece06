using Microsoft.Extensions.Logging;

namespace Flow.Serialization;

internal static partial class JsonReaderLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "{File}:{Line}:{Column}: field {Field} holds the number {Literal}, which neither a 64-bit integer nor a double can hold exactly; it is kept as text, exactly, and so is every further such number in this file")]
    public static partial void NumberKeptAsText(ILogger logger, string file, long line, long column, string field, string literal);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "{File}: {Count} numbers that fit neither a 64-bit integer nor a double were kept as text")]
    public static partial void NumbersKeptAsText(ILogger logger, string file, long count);
}
