using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>An HTTP client for the JSON API: a bearer token (or none) and JSON answers read as <see cref="JsonElement"/>.</summary>
public sealed class ApiClient : IDisposable
{
    public ApiClient(string baseUrl, string? token)
    {
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public HttpClient Http { get; }

    public async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>Sends <paramref name="json"/> as it is (malformed on purpose, say); answers the status, media type and body.</summary>
    public async Task<(HttpStatusCode Status, string? MediaType, JsonElement Body)> SendAsync(string method, string path, string? json)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await ReadAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object? body)
    {
        using var response = await Http.PostAsJsonAsync(path, body);
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>GETs until <paramref name="done"/> holds for the answer's body; fails the test after <see cref="Poll.Deadline"/>.</summary>
    public async Task<JsonElement> GetUntilAsync(string path, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + Poll.Deadline;
        while (true)
        {
            var (status, body) = await GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, status);
            if (done(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"GET {path} did not reach the state wanted: {body}");
            await Task.Delay(50);
        }
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Every served /api/v1 route but the OpenAPI document, as method and route pattern (<c>/api/v1/jobs/{id:long}</c>).</summary>
    internal static List<(string Method, string Pattern)> Routes(ServerHost server)
    {
        var routes = new List<(string, string)>();
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (pattern.StartsWith("/api/v1/", StringComparison.Ordinal) && pattern != "/api/v1/openapi.json")
            {
                routes.AddRange((endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(method => (method, pattern)));
            }
        }

        return routes;
    }

    public void Dispose() => Http.Dispose();
}
