using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using WithCache.Server.Hosting;
using WithCache.Server.Operations;

namespace WithCache.Server.Ui;

/// <summary>
/// The operator UI's place. Until the UI lands (its own issue) <c>/</c> is a plain page with the cache's
/// figures; everything on it is encoded.
/// </summary>
internal static class UiEndpoints
{
    public static RouteGroupBuilder MapUi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("");
        group.MapGet("/", Home);
        return group;
    }

    private static ContentHttpResult Home(CacheOperations operations)
    {
        var (stored, reserved, max) = operations.Capacity;
        var capacity = max is { } m ? $"{ByteSize.Format(stored)} of {ByteSize.Format(m)}" : $"{ByteSize.Format(stored)} (no cap)";
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>withcache</title></head>
            <body>
            <h1>withcache-server</h1>
            <p>The operator UI arrives in a later version. The read path (/b/, /blob, /healthz) is working.</p>
            <ul>
            <li>Mode: {Encode(operations.Curate ? "curate (misses wait for an operator)" : "auto-fetch")}</li>
            <li>Cached artifacts: {operations.CountArtifacts()}</li>
            <li>Stored: {Encode(capacity)}; reserved by downloads in flight: {Encode(ByteSize.Format(reserved))}</li>
            <li>Missed keys: {operations.CountMisses()}</li>
            </ul>
            </body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
