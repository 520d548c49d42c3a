using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace WithCache.Server.Ui.Auth;

/// <summary>
/// The API's authentication scheme: <c>Authorization: Bearer &lt;token&gt;</c> (RFC 6750), nothing else; the UI's
/// session cookie never opens the API, so a cross-site request riding on it cannot reach it. The principal's name is
/// <c>api:&lt;token name&gt;</c>, which the audit log records as the actor. A missing or wrong token is a 401 problem
/// with <c>WWW-Authenticate: Bearer</c>; an address with too many wrong tokens in the last minute gets 429.
/// </summary>
internal sealed partial class ApiTokenHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string SchemeName = "Bearer";
    public const string NamePrefix = "api:";
    private const string ThrottledItem = "withcache:api-auth-throttled";
    private const string FailedItem = "withcache:api-auth-failed";

    private readonly ApiTokens _tokens;
    private readonly FailedAuthLimiter _limiter;
    private readonly IProblemDetailsService _problems;

    public ApiTokenHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        UrlEncoder encoder,
        ApiTokens tokens,
        FailedAuthLimiter limiter,
        IProblemDetailsService problems)
        : base(options, logger, encoder)
    {
        _tokens = tokens;
        _limiter = limiter;
        _problems = problems;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var address = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (_limiter.IsThrottled(address))
        {
            Context.Items[ThrottledItem] = true;
            return Task.FromResult(AuthenticateResult.Fail("too many wrong tokens from this address"));
        }

        var token = header[(SchemeName.Length + 1)..].Trim();
        if (token.Length == 0 || _tokens.FindName(token) is not { } name)
        {
            _limiter.CountFailure(address);
            Context.Items[FailedItem] = true;
            LogWrongToken(Logger, address);
            return Task.FromResult(AuthenticateResult.Fail("unknown or revoked token"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, NamePrefix + name)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(ThrottledItem))
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = "60";
            await WriteProblemAsync("Too many wrong tokens", "too many wrong API tokens from this address; wait a minute");
            return;
        }

        // RFC 6750 section 3: a request without credentials gets the bare challenge; one with a bad token gets invalid_token.
        var failed = Context.Items.ContainsKey(FailedItem);
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = failed ? "Bearer error=\"invalid_token\"" : "Bearer";
        await WriteProblemAsync(
            "Unauthorized",
            failed ? "the bearer token is unknown or revoked" : "send an API token as 'Authorization: Bearer <token>'");
    }

    private async Task WriteProblemAsync(string title, string detail) =>
        await _problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = Response.StatusCode, Title = title, Detail = detail },
        });

    [LoggerMessage(EventId = 1610, Level = LogLevel.Warning, Message = "Wrong API token from {Address}")]
    private static partial void LogWrongToken(ILogger logger, string address);
}
