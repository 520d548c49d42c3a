using System.Net;
using WithCache.Server.Audit;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Audit;

public sealed class AuditLogTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task OperatorActionsAndFillOutcomes_RecordedWithActorSubjectAndDetail()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s =>
        {
            s["WithCache:Curate"] = "true";
            s["Ui:AdminPassword"] = Password;
        });
        var good = _origin.Add("/vendor/good.run", TestData.Bytes(5000));
        var gone = _origin.AddStatus("/vendor/gone.run", 404);
        using var client = new OperatorClient(server.BaseUrl);
        (await client.LogInAsync(Password)).Dispose();

        foreach (var url in new[] { good, gone })
        {
            var token = await client.GetTokenAsync("/admin/add");
            using var added = await client.PostFormAsync("/admin/add", [new("url", url)], token);
            Assert.True(added.StatusCode is HttpStatusCode.OK or HttpStatusCode.SeeOther or HttpStatusCode.Redirect, $"{(int)added.StatusCode}");
        }

        await server.WaitForJobAsync(good, JobState.Completed);
        await server.WaitForJobAsync(gone, JobState.Failed);
        var operations = server.Get<CacheOperations>();
        Assert.Equal(OperationOutcome.NotFound, operations.DeleteArtifact("http://127.0.0.1:1/never").Outcome);

        var events = operations.ListEvents(new ListQuery(Limit: 100));
        var addedGood = Assert.Single(events, e => e.Action == AuditActions.UrlAdded && e.Subject == good);
        Assert.Equal("operator (127.0.0.1)", addedGood.Actor);
        Assert.Equal("download queued", addedGood.Detail);
        Assert.Single(events, e => e.Action == AuditActions.UrlAdded && e.Subject == gone);
        var completed = Assert.Single(events, e => e.Action == AuditActions.FillCompleted);
        Assert.Equal((AuditLog.System, good), (completed.Actor, completed.Subject));
        Assert.Contains("5000 bytes, sha256 " + TestData.Sha256Hex(TestData.Bytes(5000)), completed.Detail, StringComparison.Ordinal);
        var failed = Assert.Single(events, e => e.Action == AuditActions.FillFailed);
        Assert.Equal(gone, failed.Subject);
        Assert.Contains("404", failed.Detail, StringComparison.Ordinal);
        var delete = Assert.Single(events, e => e.Action == AuditActions.ArtifactDeleted);
        Assert.Equal((AuditLog.System, "http://127.0.0.1:1/never", "no such artifact"), (delete.Actor, delete.Subject, delete.Detail));

        // Newest first, and the filter matches the action.
        Assert.Equal(events.Max(e => e.Id), events[0].Id);
        Assert.All(operations.ListEvents(new ListQuery(Filter: "fill.")), e => Assert.StartsWith("fill.", e.Action, StringComparison.Ordinal));
        Assert.Equal(2, operations.CountEvents("fill."));
    }

    [Fact]
    public void RecordEvent_BeyondCap_KeepsTheNewest()
    {
        var database = new CacheDatabase(Microsoft.Extensions.Options.Options.Create(new WithCache.Server.Hosting.ServerOptions { DataDir = _dir.Path }));
        var start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        for (var i = 0; i < 250; i++)
        {
            database.RecordEvent(start.AddSeconds(i), "system", "fill.completed", $"http://h/{i}", "", cap: 100);
        }

        var kept = database.ListEvents(new ListQuery(Limit: 500));
        Assert.Equal(100, database.CountEvents());
        Assert.Equal("http://h/249", kept[0].Subject);
        Assert.Equal("http://h/150", kept[^1].Subject);
    }
}
