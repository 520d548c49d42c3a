namespace WithCache.Client.Tests.TestSupport;

/// <summary>One request a <see cref="StubCache"/> received.</summary>
public sealed record StubRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers);
