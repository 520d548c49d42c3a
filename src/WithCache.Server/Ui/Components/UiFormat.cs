using System.Globalization;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.Ui.Components;

/// <summary>How the pages write numbers, sizes, times and durations (always invariant, always UTC).</summary>
internal static class UiFormat
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Size(long bytes) => ByteSize.Format(bytes);

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Ago(DateTimeOffset time, DateTimeOffset now)
    {
        var elapsed = now - time;
        return elapsed < TimeSpan.FromSeconds(1) ? "just now" : Duration(elapsed) + " ago";
    }

    /// <summary>The two largest units: <c>3 d 4 h</c>, <c>2 min 5 s</c>, <c>12 s</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        var s = (long)span.TotalSeconds;
        return s switch
        {
            < 60 => $"{s} s",
            < 3600 => Pair(s / 60, "min", s % 60, "s"),
            < 86400 => Pair(s / 3600, "h", s / 60 % 60, "min"),
            _ => Pair(s / 86400, "d", s / 3600 % 24, "h"),
        };

        static string Pair(long major, string majorUnit, long minor, string minorUnit) =>
            minor == 0 ? $"{major} {majorUnit}" : $"{major} {majorUnit} {minor} {minorUnit}";
    }

    public static string Percent(long done, long total) =>
        total <= 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{Math.Min(100.0, done * 100.0 / total):0.#} %");

    public static string State(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        _ => "unknown",
    };
}
