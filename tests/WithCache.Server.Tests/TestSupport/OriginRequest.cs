namespace WithCache.Server.Tests.TestSupport;

/// <summary>One request as the <see cref="OriginServer"/> received it; <paramref name="ReceivedAt"/> is the time since the origin started.</summary>
public sealed record OriginRequest(string Method, string Path, string Host, IReadOnlyDictionary<string, string> Headers, TimeSpan ReceivedAt)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
