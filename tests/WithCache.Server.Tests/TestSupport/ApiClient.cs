using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

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

    public void Dispose() => Http.Dispose();
}
