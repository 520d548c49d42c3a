namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// A file an <see cref="OriginServer"/> path serves, with the headers a real origin sends (ETag, Accept-Ranges,
/// Content-Length) and RFC 9110 range handling, plus the faults a test asks for.
/// </summary>
public sealed record OriginFile(byte[] Body)
{
    public bool AcceptRanges { get; init; } = true;

    /// <summary>False: advertise ranges but answer every request with the whole file (200).</summary>
    public bool HonourRange { get; init; } = true;

    /// <summary>False: answer a range with 206 even when If-Range names another representation (a broken origin).</summary>
    public bool HonourIfRange { get; init; } = true;

    public string? ETag { get; init; } = "\"v1\"";

    public DateTimeOffset? LastModified { get; init; }

    /// <summary>False: no Content-Length (chunked).</summary>
    public bool SendLength { get; init; } = true;

    /// <summary>Per request to the path (1-based): how many body bytes this response sends before <see cref="Cut"/>; null = all.</summary>
    public Func<int, int?> CutAfter { get; init; } = _ => null;

    public OriginCut Cut { get; init; } = OriginCut.Abort;
}
