using Microsoft.Net.Http.Headers;

namespace WithCache.Server.ReadPath;

/// <summary>How a hit is answered: the status, the normalized range of a 206, and whether a body follows.</summary>
internal sealed record HitDecision(int Status, RangeItemHeaderValue? Range, bool ServeBody);
