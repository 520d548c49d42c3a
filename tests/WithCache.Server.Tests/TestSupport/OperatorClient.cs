using System.Net;
using System.Text.RegularExpressions;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>A browser-like HTTP client for the operator UI: keeps cookies, does not follow redirects, logs in through the form.</summary>
public sealed partial class OperatorClient : IDisposable
{
    private readonly HttpClientHandler _handler;

    public OperatorClient(string baseUrl)
    {
        _handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        Http = new HttpClient(_handler) { BaseAddress = new Uri(baseUrl) };
    }

    public HttpClient Http { get; }

    public CookieContainer Cookies => _handler.CookieContainer;

    /// <summary>Reads the antiforgery token a page renders (hidden form field) for later posts.</summary>
    public async Task<string> GetTokenAsync(string path)
    {
        var html = await Http.GetStringAsync(path);
        var match = TokenField().Match(html);
        Assert.True(match.Success, $"no antiforgery token on {path}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, string? token)
    {
        var all = fields.ToList();
        if (token is not null)
        {
            all.Add(new("__RequestVerificationToken", token));
        }

        return await Http.PostAsync(path, new FormUrlEncodedContent(all));
    }

    public async Task<HttpResponseMessage> LogInAsync(string password)
    {
        var token = await GetTokenAsync("/login");
        return await PostFormAsync("/login", [new("password", password), new("returnUrl", "/")], token);
    }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" (?:type=\"hidden\" )?value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
