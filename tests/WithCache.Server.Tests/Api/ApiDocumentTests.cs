using System.Text.Json;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Api;

public sealed class ApiDocumentTests : IAsyncLifetime
{
    private const string UpdateVariable = "WITHCACHE_UPDATE_OPENAPI";
    private readonly TempDir _dir = new();
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ServedDocument_SameAsDocsOpenApiJson()
    {
        var served = Normalize(await _server.Client.GetStringAsync("/api/v1/openapi.json"));
        var path = Path.Combine(Repository.Root(), "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(path, served);
        }

        var committed = File.Exists(path) ? Normalize(await File.ReadAllTextAsync(path)) : "";

        Assert.True(
            served == committed,
            $"docs/openapi.json differs from the document the server serves. Regenerate it with:\n"
            + $"  {UpdateVariable}=1 dotnet test tests/WithCache.Server.Tests --filter FullyQualifiedName~ApiDocumentTests\n"
            + "and commit the result.");
    }

    [Fact]
    public async Task ServedDocument_ReadsAsOpenApiWithoutErrorsAndPassesTheDefaultRules()
    {
        var json = await _server.Client.GetStringAsync("/api/v1/openapi.json");

        var read = Microsoft.OpenApi.OpenApiDocument.Parse(json, "json");

        Assert.Empty(read.Diagnostic?.Errors ?? []);
        var document = Assert.IsType<Microsoft.OpenApi.OpenApiDocument>(read.Document);
        Assert.Empty(Microsoft.OpenApi.OpenApiElementExtensions.Validate(document, Microsoft.OpenApi.ValidationRuleSet.GetDefaultRuleSet()) ?? []);
        Assert.NotEmpty(document.Paths);
    }

    [Fact]
    public async Task EveryApiRoute_InTheDocument_AndNothingElse()
    {
        using var document = JsonDocument.Parse(await _server.Client.GetStringAsync("/api/v1/openapi.json"));
        var documented = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                documented.Add(operation.Name.ToUpperInvariant() + " " + path.Name);
            }
        }

        var served = ApiClient.Routes(_server).Select(r => r.Method + " " + r.Pattern.Replace(":long}", "}", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

        Assert.True(served.Count >= 10, string.Join(", ", served));
        Assert.Equal(served.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Document_DeclaresTheBearerSchemeForEveryOperation()
    {
        using var document = JsonDocument.Parse(await _server.Client.GetStringAsync("/api/v1/openapi.json"));
        var root = document.RootElement;

        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.True(root.GetProperty("security")[0].TryGetProperty("bearer", out _));
        Assert.False(root.TryGetProperty("servers", out var servers) && servers.GetArrayLength() > 0);
    }

    private static string Normalize(string json) => json.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd() + "\n";
}
