// Xunit has its own Record type; in these tests a record is always Flow's.
global using Record = Flow.Record;
// The shared helpers (TestData, TempDirectory) live in Flow.Tests.
global using Flow.Tests;
