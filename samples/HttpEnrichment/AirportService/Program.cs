// A small airport-details API for the Http enrichment sample: GET /airports/{iata} answers the
// airport's name, city, state and coordinates from samples/data/airports.csv after a delay (an
// expensive call, as a geocoder or a model would be), and counts every call; GET /stats gives the
// count. Listens where --urls says (the sample uses http://127.0.0.1:5077).
using System.Collections.Concurrent;
using System.Globalization;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();

var csv = app.Configuration["Airports"] ?? Path.Combine("samples", "data", "airports.csv");
var delay = TimeSpan.FromMilliseconds(int.Parse(app.Configuration["DelayMs"] ?? "20", CultureInfo.InvariantCulture));
var airports = File.ReadLines(csv).Skip(1)
    .Select(Cells)
    .Where(cells => cells.Length == 7)
    .ToDictionary(cells => cells[0], cells => new Airport(cells[1], cells[2], cells[3],
        double.Parse(cells[5], CultureInfo.InvariantCulture), double.Parse(cells[6], CultureInfo.InvariantCulture)), StringComparer.OrdinalIgnoreCase);
var calls = new ConcurrentDictionary<string, int>(StringComparer.OrdinalIgnoreCase);
var total = 0;

app.MapGet("/airports/{iata}", async (string iata, CancellationToken cancellationToken) =>
{
    Interlocked.Increment(ref total);
    calls.AddOrUpdate(iata, 1, (_, n) => n + 1);
    await Task.Delay(delay, cancellationToken);
    return airports.TryGetValue(iata, out var airport) ? Results.Ok(airport) : Results.NotFound(new { error = $"no airport '{iata}'" });
});
app.MapGet("/stats", () => Results.Ok(new Stats(Volatile.Read(ref total), calls.Count)));

app.Run();

// One CSV line's cells; a quoted cell may hold commas ("Baton Rouge, Ryan").
static string[] Cells(string line)
{
    var cells = new List<string>();
    var cell = new System.Text.StringBuilder();
    var quoted = false;
    for (var i = 0; i < line.Length; i++)
    {
        if (line[i] == '"')
        {
            if (quoted && i + 1 < line.Length && line[i + 1] == '"')
            {
                cell.Append('"');
                i++;
            }
            else
            {
                quoted = !quoted;
            }
        }
        else if (line[i] == ',' && !quoted)
        {
            cells.Add(cell.ToString());
            cell.Clear();
        }
        else
        {
            cell.Append(line[i]);
        }
    }

    cells.Add(cell.ToString());
    return [.. cells];
}

internal sealed record Airport(string Name, string City, string State, double Latitude, double Longitude);

internal sealed record Stats(int Calls, int DistinctAirports);
