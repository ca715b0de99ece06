namespace Flow.Serialization;

/// <summary>What a CSV header with a repeated name does (parameter <c>DuplicateHeaders</c>).</summary>
internal enum CsvDuplicateHeaders
{
    /// <summary>The file is rejected, naming both columns: a record cannot hold two fields of one name.</summary>
    Error,

    /// <summary>The second <c>a</c> becomes <c>a_2</c>, the third <c>a_3</c>, skipping names the header already has.</summary>
    Rename,
}
