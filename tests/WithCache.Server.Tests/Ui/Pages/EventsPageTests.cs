using System.Net;
using System.Text.RegularExpressions;
using WithCache.Server.Audit;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Ui.Pages;

/// <summary>The Events page over HTTP: what operator actions and fills leave in the audit log, and how the page shows it.</summary>
public sealed partial class EventsPageTests : IAsyncLifetime
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
    public async Task EventsPage_AfterActions_ListsThemNewestFirstFilteredPagedAndEncoded()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s =>
        {
            s["WithCache:Curate"] = "true";
            s["WithCache:KeepQuery"] = "true";
            s["Ui:AdminPassword"] = Password;
        });
        var operations = server.Get<CacheOperations>();
        var good = _origin.Add("/vendor/good.run", TestData.Bytes(3000));

        // A URL that parses but carries markup and quotes in its path and query: the origin answers 404.
        var hostile = _origin.BaseUrl.TrimEnd('/') + "/vendor/%3Cscript%3Ealert(1)%3C%2Fscript%3E.run?name=<script>\"x\"</script>";
        using var client = new OperatorClient(server.BaseUrl);
        (await client.LogInAsync(Password)).Dispose();

        await AddAsync(client, good);
        await WaitForEventAsync(operations, AuditActions.FillCompleted);
        await AddAsync(client, hostile);
        var hostileFill = await WaitForEventAsync(operations, AuditActions.FillFailed);
        var token = await client.GetTokenAsync("/admin/misses");
        (await client.PostFormAsync("/admin/misses/dismiss", [new("one", "https://vendor.example/never-missed.run")], token)).Dispose();

        // No operation writes markup into a detail today; a future reason might (an origin's error text), so put one there.
        server.Get<AuditLog>().Record(AuditLog.System, AuditActions.FillFailed, "https://vendor.example/detail.run", "origin said <b>no</b> & \"bye\"");

        var all = operations.ListEvents(new ListQuery(Limit: 200));
        Assert.Equal(6, all.Count);
        var hostileAdded = Assert.Single(all, e => e.Action == AuditActions.UrlAdded && e.Subject != good);
        Assert.Equal(hostileFill.Subject, hostileAdded.Subject);
        Assert.True(hostileAdded.Subject.IndexOfAny(['<', '"']) >= 0, "the hostile key lost its markup: " + hostileAdded.Subject);

        // Every event, newest first, each column shown.
        var html = await GetPageAsync(client, "/admin/events");
        var rows = Rows(html);
        Assert.Equal(all.Select(e => e.Id), rows.Select(r => r.Id));
        Assert.Equal(all.Select(e => e.Action), rows.Select(r => r.Action));
        // An add is recorded once its job is queued, and a quick fill may end before that line is written: within
        // each add and its fill the order is either way round.
        var actions = rows.Select(r => r.Action).ToList();
        Assert.Equal(["fill.failed", "miss.dismiss"], actions.Take(2));
        Assert.Equal(["fill.failed", "url.add"], actions.Skip(2).Take(2).Order());
        Assert.Equal(["fill.completed", "url.add"], actions.Skip(4).Order());
        Assert.Equal("operator (127.0.0.1)", rows.Single(r => r.Action == AuditActions.MissDismissed).Actor);
        Assert.Equal("no such miss", rows.Single(r => r.Action == AuditActions.MissDismissed).Detail);
        Assert.Equal(AuditLog.System, rows.Single(r => r.Action == AuditActions.FillCompleted).Actor);
        Assert.Equal(good, rows.Single(r => r.Action == AuditActions.FillCompleted).Subject);
        Assert.Contains("Rows 1–6 of 6", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.Matches("<a href=\"/admin/events\" aria-current=\"page\">Events</a>", html);
        Assert.Matches("<time datetime=\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\" title=\"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\">(just now|\\d+ s ago)</time>", html);

        // Markup in a subject or a detail is text: encoded in the HTML, the same string once decoded.
        var hostileRow = rows.Single(r => r.Id == hostileAdded.Id);
        Assert.Equal(hostileAdded.Subject, hostileRow.Subject);
        Assert.DoesNotContain('<', hostileRow.RawSubject);
        Assert.DoesNotContain('"', hostileRow.RawSubject);
        var detailRow = rows[0];
        Assert.Equal("origin said <b>no</b> & \"bye\"", detailRow.Detail);
        Assert.DoesNotContain('<', detailRow.RawDetail);
        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);

        // The filter matches the action, the actor or the subject.
        Assert.Equal(["fill.failed", "fill.failed", "fill.completed"], Rows(await GetPageAsync(client, "/admin/events?filter=fill.")).Select(r => r.Action));
        var byActor = Rows(await GetPageAsync(client, "/admin/events?filter=operator"));
        Assert.Equal(3, byActor.Count);
        Assert.All(byActor, r => Assert.Equal("operator (127.0.0.1)", r.Actor));
        var bySubjectHtml = await GetPageAsync(client, "/admin/events?filter=" + Uri.EscapeDataString("<script>"));
        Assert.Equal([AuditActions.FillFailed, AuditActions.UrlAdded], Rows(bySubjectHtml).Select(r => r.Action).Order());
        Assert.Contains("Showing events whose actor, action or subject contains <code>&lt;script&gt;</code>", bySubjectHtml, StringComparison.Ordinal);
        var none = await GetPageAsync(client, "/admin/events?filter=nothing-like-this");
        Assert.Empty(Rows(none));
        Assert.Contains("No event matches the filter.", none, StringComparison.Ordinal);

        // Pages of two: the next page continues where the first ended, and a page past the end shows the last one.
        var first = await GetPageAsync(client, "/admin/events?limit=2");
        Assert.Equal(all.Take(2).Select(e => e.Id), Rows(first).Select(r => r.Id));
        Assert.Contains("Rows 1–2 of 6", WebUtility.HtmlDecode(first), StringComparison.Ordinal);
        Assert.Contains("href=\"/admin/events?offset=2&amp;limit=2\" rel=\"next\"", first, StringComparison.Ordinal);
        var second = await GetPageAsync(client, "/admin/events?offset=2&limit=2");
        Assert.Equal(all.Skip(2).Take(2).Select(e => e.Id), Rows(second).Select(r => r.Id));
        Assert.Contains("Rows 3–4 of 6", WebUtility.HtmlDecode(second), StringComparison.Ordinal);
        var beyond = await GetPageAsync(client, "/admin/events?offset=400&limit=2");
        Assert.Equal(all.Skip(4).Select(e => e.Id), Rows(beyond).Select(r => r.Id));
        var filteredPage = await GetPageAsync(client, "/admin/events?filter=fill.&limit=2");
        Assert.Contains("href=\"/admin/events?filter=fill.&amp;offset=2&amp;limit=2\" rel=\"next\"", filteredPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventsPage_OpenUi_ShowsAnonymousActorWithAddress()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:Curate"] = "true");
        using var client = new OperatorClient(server.BaseUrl);
        var token = await client.GetTokenAsync("/admin/add");
        (await client.PostFormAsync("/admin/misses/dismiss", [new("one", "https://vendor.example/x.run")], token)).Dispose();

        var rows = Rows(await GetPageAsync(client, "/admin/events"));

        var row = Assert.Single(rows);
        Assert.Equal(("anonymous (127.0.0.1)", AuditActions.MissDismissed, "https://vendor.example/x.run"), (row.Actor, row.Action, row.Subject));
    }

    [Fact]
    public async Task EventsPage_NoEvents_SaysSo()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["Ui:AdminPassword"] = Password);
        using var client = new OperatorClient(server.BaseUrl);
        using (var anonymous = await client.Http.GetAsync("/admin/events"))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        }

        (await client.LogInAsync(Password)).Dispose();
        var html = await GetPageAsync(client, "/admin/events");

        Assert.Contains("No events yet.", html, StringComparison.Ordinal);
        Assert.Contains("No rows of 0", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
    }

    private static async Task AddAsync(OperatorClient client, string url)
    {
        var token = await client.GetTokenAsync("/admin/add");
        using var added = await client.PostFormAsync("/admin/add", [new("url", url)], token);
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
    }

    private static async Task<string> GetPageAsync(OperatorClient client, string path)
    {
        using var response = await client.Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} -> {(int)response.StatusCode}");
        return html;
    }

    private static async Task<AuditEvent> WaitForEventAsync(CacheOperations operations, string action)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (operations.ListEvents(new ListQuery(Filter: action)).FirstOrDefault(e => e.Action == action) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {action} event was recorded");
            await Task.Delay(50);
        }
    }

    private static List<EventRow> Rows(string html) =>
        [.. RowPattern().Matches(html).Select(m => new EventRow(
            long.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture),
            WebUtility.HtmlDecode(m.Groups["action"].Value),
            WebUtility.HtmlDecode(m.Groups["actor"].Value),
            m.Groups["subject"].Value,
            m.Groups["detail"].Value))];

    [GeneratedRegex("""<tr id="event-(?<id>\d+)" data-action="(?<action>[^"]*)">\s*<td><time[^>]*>[^<]*</time></td>\s*<td class="actor">(?<actor>[^<]*)</td>\s*<td class="action"><code>[^<]*</code></td>\s*<td class="url subject">(?<subject>[^<]*)</td>\s*<td class="detail">(?<detail>[^<]*)</td>""")]
    private static partial Regex RowPattern();

    /// <summary>A row as the page rendered it: the raw (encoded) subject and detail, and their decoded text.</summary>
    private sealed record EventRow(long Id, string Action, string Actor, string RawSubject, string RawDetail)
    {
        public string Subject => WebUtility.HtmlDecode(RawSubject);

        public string Detail => WebUtility.HtmlDecode(RawDetail);
    }
}
