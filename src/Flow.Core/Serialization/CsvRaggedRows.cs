namespace Flow.Serialization;

/// <summary>What a CSV row with fewer or more cells than the header does (parameter <c>RaggedRows</c>).</summary>
internal enum CsvRaggedRows
{
    /// <summary>The file is rejected at the row's line.</summary>
    Error,

    /// <summary>A short row gets null for its missing fields; a long row keeps its extra cells as <c>column{N}</c>.</summary>
    Allow,
}
