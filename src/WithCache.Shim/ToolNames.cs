namespace WithCache.Shim;

internal static class ToolNames
{
    public static ToolKind? Find(string? name) => name switch
    {
        null => null,
        _ when name.StartsWith("curl", StringComparison.Ordinal) => ToolKind.Curl,
        _ when name.StartsWith("wget", StringComparison.Ordinal) => ToolKind.Wget,
        _ => null,
    };

    public static string Of(ToolKind tool) => tool == ToolKind.Curl ? "curl" : "wget";
}
