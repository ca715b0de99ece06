using System.Text;

namespace Flow.Samples.Plugin;

/// <summary>
/// Step <c>Flow.Samples.Plugin.GeohashStep, Flow.Samples.Plugin</c>: the geohash of a latitude and
/// longitude (fields named by <c>Latitude</c> and <c>Longitude</c>) into the field <c>Into</c>,
/// <c>Precision</c> characters long (1 to 12, default 6: cells of about 1.2 km x 0.6 km). A record
/// without both coordinates gets null. Geohashes group nearby places under a common prefix: a
/// stand-in for the geocoding or enrichment calls a real plug-in would make.
/// </summary>
[StepVersion("1")]
public sealed class GeohashStep : RecordStep
{
    private const string Base32 = "0123456789bcdefghjkmnpqrstuvwxyz";

    private readonly string _latitude;
    private readonly string _longitude;
    private readonly string _into;
    private readonly int _precision;

    /// <summary>Reads the step's parameters; a precision outside 1..12 is a configuration error.</summary>
    public GeohashStep(NodeParameters parameters)
    {
        _latitude = parameters.GetString("Latitude") ?? throw parameters.Error("Latitude", "is required (the field holding the latitude)");
        _longitude = parameters.GetString("Longitude") ?? throw parameters.Error("Longitude", "is required (the field holding the longitude)");
        _into = parameters.GetString("Into") ?? "geohash";
        _precision = (int)parameters.GetInt64("Precision", 6, min: 1, max: 12);
    }

    /// <inheritdoc />
    protected override Record? Process(Record record)
    {
        record[_into] = Number(record[_latitude]) is { } lat and >= -90 and <= 90 && Number(record[_longitude]) is { } lon and >= -180 and <= 180
            ? Encode(lat, lon, _precision)
            : null;
        return record;
    }

    private static double? Number(object? value) => value switch
    {
        double d => d,
        long l => l,
        _ => null,
    };

    // The standard geohash: bits alternate longitude and latitude, halving each range, five bits a character.
    private static string Encode(double latitude, double longitude, int precision)
    {
        var hash = new StringBuilder(precision);
        double latMin = -90, latMax = 90, lonMin = -180, lonMax = 180;
        var even = true;
        var bits = 0;
        var value = 0;
        while (hash.Length < precision)
        {
            if (even)
            {
                var mid = (lonMin + lonMax) / 2;
                value = (value << 1) | (longitude >= mid ? 1 : 0);
                (lonMin, lonMax) = longitude >= mid ? (mid, lonMax) : (lonMin, mid);
            }
            else
            {
                var mid = (latMin + latMax) / 2;
                value = (value << 1) | (latitude >= mid ? 1 : 0);
                (latMin, latMax) = latitude >= mid ? (mid, latMax) : (latMin, mid);
            }

            even = !even;
            if (++bits == 5)
            {
                hash.Append(Base32[value]);
                bits = 0;
                value = 0;
            }
        }

        return hash.ToString();
    }
}
