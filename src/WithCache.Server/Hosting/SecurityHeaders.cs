namespace WithCache.Server.Hosting;

/// <summary>
/// Headers on every response. The CSP forbids inline script and style: everything the UI runs or styles is a
/// vendored file served from this host, so an injected URL from a stranger cannot become code.
/// </summary>
internal static class SecurityHeaders
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static Task ApplyAsync(HttpContext context, Func<Task> next)
    {
        Apply(context.Response.Headers);
        return next();
    }

    /// <summary>Sets the headers; also for a response that was cleared after they were set (see EngineOutage).</summary>
    public static void Apply(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
