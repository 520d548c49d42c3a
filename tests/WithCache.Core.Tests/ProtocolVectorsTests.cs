using System.Text.Json;

namespace WithCache.Core.Tests;

/// <summary>The vectors made with the existing Python withcache (protocol-vectors.json, copied from shared/).</summary>
public sealed class ProtocolVectorsTests
{
    private static readonly JsonElement Vectors =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocol-vectors.json"))).RootElement;

    public static TheoryData<string> Origins()
    {
        var data = new TheoryData<string>();
        foreach (var row in Vectors.GetProperty("origins").EnumerateArray())
        {
            data.Add(row.GetProperty("origin").GetString()!);
        }

        return data;
    }

    public static TheoryData<string, string> Servers()
    {
        var data = new TheoryData<string, string>();
        foreach (var row in Vectors.GetProperty("servers").EnumerateArray())
        {
            data.Add(row.GetProperty("input").GetString()!, row.GetProperty("base").GetString()!);
        }

        return data;
    }

    [Fact]
    public void Vectors_File_HasEveryOriginAndServer()
    {
        Assert.Equal(20, Vectors.GetProperty("origins").GetArrayLength());
        Assert.Equal(5, Vectors.GetProperty("servers").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Origins))]
    public void Token_Vector_EncodesAndDecodes(string origin)
    {
        var row = Row(origin);
        var token = row.GetProperty("token").GetString()!;

        Assert.Equal(token, OriginToken.Encode(origin));
        Assert.True(OriginToken.TryDecode(token, out var decoded, out var error), error?.Reason);
        Assert.Equal(origin, decoded);
    }

    [Theory]
    [MemberData(nameof(Origins))]
    public void Key_Vector_MatchesWithAndWithoutKeepQuery(string origin)
    {
        var row = Row(origin);
        var expected = row.GetProperty("key");
        var expectedKeepQuery = row.GetProperty("key_keep_query");

        var accepted = CacheKey.TryCreate(origin, keepQuery: false, out var key, out var error);
        var acceptedKeepQuery = CacheKey.TryCreate(origin, keepQuery: true, out var keyKeepQuery, out _);

        if (expected.ValueKind == JsonValueKind.Null)
        {
            Assert.False(accepted);
            Assert.False(acceptedKeepQuery);
            Assert.Equal(ProtocolErrorKind.HasCredentials, error!.Kind);
        }
        else
        {
            Assert.True(accepted, error?.Reason);
            Assert.Equal(expected.GetString(), key!.Value);
            Assert.Equal(expectedKeepQuery.GetString(), keyKeepQuery!.Value);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void ServerAddress_Vector_Normalizes(string input, string expectedBase)
    {
        Assert.True(ServerAddress.TryNormalize(input, out var serverBase, out var error), error?.Reason);
        Assert.Equal(expectedBase, serverBase);
    }

    private static JsonElement Row(string origin) =>
        Vectors.GetProperty("origins").EnumerateArray().First(r => r.GetProperty("origin").GetString() == origin);
}
