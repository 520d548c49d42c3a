using Microsoft.AspNetCore.Http.HttpResults;
using WithCache.Server.Ui.Auth;
using WithCache.Server.Ui.Components;
using WithCache.Server.Ui.Pages;

namespace WithCache.Server.Ui;

/// <summary>The API tokens page: list, create (the token is shown once), revoke.</summary>
internal static partial class UiEndpoints
{
    private const string TokensPath = "/admin/tokens";

    private static void MapTokens(RouteGroupBuilder admin)
    {
        admin.MapGet("/tokens", Tokens);
        admin.MapPost("/tokens", CreateToken);
        admin.MapPost("/tokens/{id:long}/revoke", RevokeToken);
    }

    private static RazorComponentResult<TokensPage> Tokens(HttpRequest request, ApiTokens tokens) =>
        Page<TokensPage>(LoadTokens(tokens, null, FlashMessage.Read(Query(request))));

    /// <summary>The answer carries the new token itself, never a redirect with it in the query string (history, logs), and is not stored by caches.</summary>
    private static RazorComponentResult<TokensPage> CreateToken(HttpResponse response, IFormCollection form, ApiTokens tokens)
    {
        var name = form["name"].ToString().Trim();
        var (result, token) = tokens.Create(name);
        response.Headers.CacheControl = "no-store";
        return Page<TokensPage>(LoadTokens(tokens, token is null ? null : (name, token), FlashMessage.From(result)));
    }

    private static Results<RazorComponentResult<TokensPage>, RedirectHttpResult> RevokeToken(long id, HttpRequest request, ApiTokens tokens)
    {
        var flash = FlashMessage.From(tokens.Revoke(id));
        return IsHtmx(request)
            ? Page<TokensPage>(LoadTokens(tokens, null, flash))
            : TypedResults.LocalRedirect(TokensPath + QueryString.Create(flash.Fields()).ToUriComponent());
    }

    private static TokensView LoadTokens(ApiTokens tokens, (string Name, string Token)? created, FlashMessage? flash) =>
        new(tokens.List(), tokens.HasEnvToken, created?.Name, created?.Token, flash);
}
