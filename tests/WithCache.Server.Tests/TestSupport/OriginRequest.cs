namespace WithCache.Server.Tests.TestSupport;

/// <summary>One request as the <see cref="OriginServer"/> received it.</summary>
public sealed record OriginRequest(string Method, string Path, string Host, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
