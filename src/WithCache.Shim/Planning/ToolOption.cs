namespace WithCache.Shim.Planning;

/// <summary>One option of curl or wget as its help lists it.</summary>
internal sealed record ToolOption(char? Short, string Long, bool TakesValue);
