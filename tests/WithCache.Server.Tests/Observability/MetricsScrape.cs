using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Observability;

/// <summary>One scrape of <c>/metrics</c>: every sample by its series as printed (<c>name{label="value"}</c>).</summary>
public sealed class MetricsScrape
{
    private readonly Dictionary<string, double> _samples;

    private MetricsScrape(Dictionary<string, double> samples) => _samples = samples;

    public double this[string series] =>
        _samples.TryGetValue(series, out var value) ? value : throw new KeyNotFoundException($"no series {series} in the scrape");

    public bool Has(string series) => _samples.ContainsKey(series);

    public static async Task<MetricsScrape> TakeAsync(ServerHost server)
    {
        using var response = await RequestAsync(server.Client, authorization: null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return Parse(text);
    }

    /// <summary>A <c>GET /metrics</c>, with this <c>Authorization</c> header when it is not null.</summary>
    public static async Task<HttpResponseMessage> RequestAsync(HttpClient client, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = authorization;
        return await client.SendAsync(request);
    }

    public static MetricsScrape Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return new MetricsScrape(samples);
    }
}
