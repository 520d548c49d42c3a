using System.Security.Claims;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using WithCache.Server.Api;
using WithCache.Server.Catalog;

namespace WithCache.Server.Ui.Auth;

/// <summary>
/// The operator login: ASP.NET Core cookie authentication over Data Protection (keys in the data dir, so a restart
/// keeps sessions), a server-side session row per login (so logout revokes it, even for a copied cookie),
/// antiforgery on every unsafe request of the UI, and a per-address rate limit on login attempts. Next to it, the
/// JSON API's bearer-token scheme (<see cref="ApiTokenHandler"/>), which only the API's policy uses.
/// </summary>
internal static partial class OperatorAuth
{
    public const string Policy = "operator";
    public const string ApiPolicy = "api";
    public const string LoginRateLimit = "login";
    public const string AntiforgeryHeader = "RequestVerificationToken";
    private const string SessionClaim = "withcache:session";

    public static IServiceCollection AddOperatorAuth(this IServiceCollection services, string dataDir, string? sessionSecret)
    {
        services.AddOptions<UiOptions>().BindConfiguration(UiOptions.Section);
        services.AddSingleton<UiAccess>();
        services.AddSingleton<IAuthorizationHandler, OperatorAuthorizationHandler>();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<FailedAuthLimiter>();

        var protection = services.AddDataProtection().SetApplicationName("withcache");
        if (string.IsNullOrEmpty(sessionSecret))
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        }
        else
        {
            protection.DisableAutomaticKeyGeneration();
            services.Configure<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(
                options => options.XmlRepository = new SecretKeyRepository(sessionSecret));
        }

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
        {
            options.Cookie.Name = "withcache_session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.LoginPath = "/login";
            options.LogoutPath = "/logout";
            options.AccessDeniedPath = "/login";
            options.SlidingExpiration = true;
            options.Events.OnValidatePrincipal = ValidateSessionAsync;
            options.Events.OnRedirectToLogin = RedirectToLoginAsync;
        }).AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokenHandler.SchemeName, configureOptions: null);
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<UiOptions>>((cookie, ui) => cookie.ExpireTimeSpan = ui.Value.SessionLifetime);
        services.AddAuthorization(options =>
        {
            options.AddPolicy(Policy, policy => policy.AddRequirements(new OperatorRequirement()));

            // The API authenticates with its bearer scheme alone, also when the UI is open or a session cookie is sent.
            options.AddPolicy(ApiPolicy, policy => policy.AddAuthenticationSchemes(ApiTokenHandler.SchemeName).RequireAuthenticatedUser());
        });
        services.AddAntiforgery(options =>
        {
            options.HeaderName = AntiforgeryHeader;
            options.Cookie.Name = "withcache_antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy<string, LoginRateLimitPolicy>(LoginRateLimit);
        });
        return services;
    }

    public static RouteGroupBuilder MapOperatorAuth(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("");
        group.MapGet("/login", LoginPage);
        group.MapPost("/login", LogInAsync).RequireRateLimiting(LoginRateLimit);
        group.MapPost("/logout", LogOutAsync).RequireAuthorization(Policy);
        return group;
    }

    /// <summary>
    /// For the UI's groups: an operator session (unless the UI is open), and the antiforgery token on every unsafe
    /// request, whether or not the endpoint binds a form; a missing or wrong token is a 400.
    /// </summary>
    public static RouteGroupBuilder RequireOperator(this RouteGroupBuilder group)
    {
        group.RequireAuthorization(Policy);
        group.WithMetadata(new RequireAntiforgeryTokenAttribute(required: true));
        group.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
            {
                return TypedResults.Text("missing or invalid antiforgery token; reload the page\n", "text/plain", statusCode: StatusCodes.Status400BadRequest);
            }

            return await next(context);
        });
        return group;
    }

    private static RazorComponentResult<LoginPage> LoginPage(string? returnUrl, UiAccess access) =>
        new(new { ReturnUrl = SafeReturnUrl(returnUrl), Open = access.IsOpen });

    private static async Task<Results<RedirectHttpResult, RazorComponentResult<LoginPage>>> LogInAsync(
        [FromForm] string? password,
        [FromForm] string? returnUrl,
        HttpContext context,
        UiAccess access,
        ICacheCatalog database,
        TimeProvider time,
        IOptions<UiOptions> options,
        ILogger<UiAccess> logger)
    {
        if (access.IsOpen)
        {
            return TypedResults.Redirect("/");
        }

        if (!access.CheckPassword(password))
        {
            LogLoginFailed(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return new RazorComponentResult<LoginPage>(new { ReturnUrl = SafeReturnUrl(returnUrl), Error = "Wrong password." })
            {
                StatusCode = StatusCodes.Status401Unauthorized,
            };
        }

        var sessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        database.CreateSession(sessionId, now, now + options.Value.SessionLifetime);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "operator"), new Claim(SessionClaim, sessionId)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        LogLoggedIn(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return TypedResults.Redirect(SafeReturnUrl(returnUrl) ?? "/");
    }

    private static async Task<RedirectHttpResult> LogOutAsync(HttpContext context, ICacheCatalog database)
    {
        if (context.User.FindFirst(SessionClaim)?.Value is { } sessionId)
        {
            database.RevokeSession(sessionId);
        }

        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.Redirect("/login");
    }

    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var database = context.HttpContext.RequestServices.GetRequiredService<ICacheCatalog>(); // framework seam: cookie events have no DI
        var time = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        var sessionId = context.Principal?.FindFirst(SessionClaim)?.Value;
        if (sessionId is null || !database.IsSessionActive(sessionId, time.GetUtcNow()))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>A page load is redirected to the login page; htmx and form posts get a 401 (htmx follows HX-Redirect).</summary>
    private static Task RedirectToLoginAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        var request = context.HttpContext.Request;
        if (request.Headers.ContainsKey("HX-Request"))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers["HX-Redirect"] = "/login";
            return Task.CompletedTask;
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>Only a local path may be a return address: no scheme, no "//host", no backslash tricks.</summary>
    internal static string? SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
            && !url.Contains('\\', StringComparison.Ordinal) && !url.Any(char.IsControl)
            ? url
            : null;

    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "Failed operator login from {Address}")]
    private static partial void LogLoginFailed(ILogger logger, string address);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Operator logged in from {Address}")]
    private static partial void LogLoggedIn(ILogger logger, string address);
}
