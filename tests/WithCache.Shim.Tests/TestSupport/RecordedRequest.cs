namespace WithCache.Shim.Tests.TestSupport;

public sealed record RecordedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers);
