namespace WithCache.Shim;

internal enum ToolKind
{
    Curl,
    Wget,
}
