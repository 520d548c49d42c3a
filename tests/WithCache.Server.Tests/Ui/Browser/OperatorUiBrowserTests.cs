using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace WithCache.Server.Tests.Ui.Browser;

/// <summary>
/// The operator UI in real headless Chromium against the real cache-host and a loopback origin: what an operator
/// does, with JavaScript (htmx) and without, at desktop and phone width. Screenshots go to the test output folder.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OperatorUiBrowserTests : IAsyncLifetime
{
    private const string Password = "browser test password";

    private readonly BrowserFixture _browser;
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;

    public OperatorUiBrowserTests(BrowserFixture browser) => _browser = browser;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task OperatorFlow_LogInDownloadAMissWatchItDeleteItAddFromUriLogOut()
    {
        await using var server = await StartServerAsync(curate: true, password: true);
        var body = TestData.Bytes(3 * 1024 * 1024);
        var origin = _origin.Add("/vendor/driver-550.54.run", body);
        _origin.Hold("/vendor/driver-550.54.run");
        await using var context = await _browser.NewContextAsync(server.BaseUrl);
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, acceptDialogs: true);

        // Log in: the UI sends an anonymous visitor to the login page and back.
        await page.GotoAsync("/admin/misses");
        await Expect(page).ToHaveURLAsync(new Regex("/login"));
        await BrowserFixture.ScreenshotAsync(page, "login");
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login-submit");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/misses$"));
        await Expect(page.Locator("#open-warning")).ToHaveCountAsync(0);

        // A shim-style probe misses, and the miss is listed.
        using (var probe = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin))))
        {
            Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        }

        await page.ReloadAsync();
        var miss = page.Locator("#misses tbody tr", new() { HasText = origin });
        await Expect(miss).ToBeVisibleAsync();
        await Expect(miss.Locator("td.num")).ToHaveTextAsync("1");
        await BrowserFixture.ScreenshotAsync(page, "misses");

        // Download under --curate: htmx posts it and swaps in the answer.
        await miss.GetByRole(AriaRole.Button, new() { Name = "Download", Exact = true }).ClickAsync();
        await Expect(page.Locator("#flash.ok")).ToContainTextAsync("download queued");
        await Expect(miss.Locator("mark.state")).ToHaveTextAsync(new Regex("^(queued|running)$"));

        // Downloads: the progress bar moves while the page stays the same page (htmx polls the rows).
        await NavigateAsync(page, "Downloads");
        await page.EvaluateAsync("() => { window.withcacheMarker = 'not reloaded'; }");
        var job = page.Locator("#jobs-table tbody tr", new() { HasText = origin });
        var bar = job.Locator("progress");
        await Expect(job).ToHaveAttributeAsync("data-state", "running");
        await Expect(bar).ToHaveAttributeAsync("max", Text(body.Length));
        await Expect(page.Locator("#jobs")).ToHaveAttributeAsync("data-polling", "on");
        var before = await bar.GetAttributeAsync("value");
        await BrowserFixture.ScreenshotAsync(page, "downloads");

        _origin.Release("/vendor/driver-550.54.run");
        await Expect(job).ToHaveAttributeAsync("data-state", "completed");
        var after = await bar.GetAttributeAsync("value");
        Assert.NotEqual(before, after);
        Assert.Equal(Text(body.Length), after);
        Assert.Equal("not reloaded", await page.EvaluateAsync<string>("() => window.withcacheMarker"));
        await Expect(page.Locator("#jobs")).ToHaveAttributeAsync("data-polling", "off");

        // Cached artifacts: the artifact, its size, misses before it was cached and its SHA-256.
        await NavigateAsync(page, "Cached artifacts");
        var artifact = page.Locator("#artifacts tbody tr", new() { HasText = origin });
        await Expect(artifact).ToBeVisibleAsync();
        await Expect(artifact.Locator("input.digest")).ToHaveValueAsync(TestData.Sha256Hex(body));
        await Expect(artifact.Locator("td.num").Nth(0)).ToHaveTextAsync("3 MiB");
        await Expect(artifact.Locator("td.num").Nth(2)).ToHaveTextAsync("1");
        await Expect(page.Locator("#capacity")).ToContainTextAsync("3 MiB");
        await BrowserFixture.ScreenshotAsync(page, "artifacts");

        // Delete, confirmed in the browser's dialog.
        await artifact.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.Locator("#flash.ok")).ToContainTextAsync("deleted");
        await Expect(artifact).ToHaveCountAsync(0);
        var confirm = Assert.Single(watch.Dialogs);
        Assert.Equal("confirm", confirm.Type);
        Assert.Contains(origin, confirm.Message, StringComparison.Ordinal);
        using (var gone = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin))))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // Add from URI: a refused URL shows the reason and stays in the box; an allowed one is queued and cached.
        await NavigateAsync(page, "Add from URI");
        await page.FillAsync("#add-url", "http://10.0.0.1/firmware.bin");
        await page.ClickAsync("#add-submit");
        await Expect(page.Locator("#flash.error")).ToContainTextAsync("refused: 10.0.0.1 is");
        await Expect(page.Locator("#add-url")).ToHaveValueAsync("http://10.0.0.1/firmware.bin");
        var added = _origin.Add("/vendor/added-firmware.bin", TestData.Bytes(5000, seed: 2));
        await page.FillAsync("#add-url", added);
        await page.ClickAsync("#add-submit");
        await Expect(page.Locator("#flash.ok")).ToContainTextAsync("download queued");
        await Expect(page.Locator("#add-url")).ToHaveValueAsync("");
        await BrowserFixture.ScreenshotAsync(page, "add");
        (await server.WaitForHitAsync(added)).Dispose();
        await NavigateAsync(page, "Cached artifacts");
        await Expect(page.Locator("#artifacts tbody tr", new() { HasText = added })).ToBeVisibleAsync();

        // Log out: the UI is closed again.
        await page.ClickAsync("#logout");
        await Expect(page).ToHaveURLAsync(new Regex("/login$"));
        await page.GotoAsync("/admin/downloads");
        await Expect(page).ToHaveURLAsync(new Regex("/login\\?"));
        Assert.Single(watch.Dialogs);
        Assert.Empty(watch.PolicyViolations);
    }

    [Fact]
    public async Task MissWithMarkupInItsUrl_RendersAsText_NoDialogFires()
    {
        const string Markup = "<script>alert(1)</script>";
        const string Hostile = "https://x/" + Markup;
        await using var server = await StartServerAsync(curate: true, password: false);
        using (var probe = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(Hostile))))
        {
            Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        }

        await using var context = await _browser.NewContextAsync(server.BaseUrl);
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, acceptDialogs: false);

        await page.GotoAsync("/admin/misses");
        await Expect(page.Locator("#open-warning")).ToContainTextAsync("WITHCACHE_ADMIN_PASSWORD");
        await Expect(page.Locator("#misses td.url")).ToHaveTextAsync(Hostile);
        await BrowserFixture.ScreenshotAsync(page, "xss-misses");

        // The same text through every other door: the filter box, a forged flash message, the delete confirmation,
        // and the answer to an action on that key.
        await page.GotoAsync("/admin/misses?filter=" + Uri.EscapeDataString(Markup));
        await Expect(page.Locator(".filtered code")).ToHaveTextAsync(Markup);
        await Expect(page.Locator("form.filter input[type=search]")).ToHaveValueAsync(Markup);
        await page.GotoAsync("/admin/artifacts?ok=0&done=" + Uri.EscapeDataString("<img src=x onerror=alert(2)>"));
        await Expect(page.Locator("#flash")).ToHaveTextAsync("<img src=x onerror=alert(2)>");
        await page.GotoAsync("/admin/artifacts/delete?key=" + Uri.EscapeDataString(Hostile));
        await Expect(page.Locator("#delete-key")).ToHaveTextAsync(Hostile);
        await page.GotoAsync("/admin/misses");
        await page.Locator("#misses tbody tr").GetByRole(AriaRole.Button, new() { Name = "Dismiss" }).ClickAsync();
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync(Hostile + ": dismissed");
        await Expect(page.Locator("#no-rows")).ToBeVisibleAsync();

        // The audit log shows the same key as its subject, and the filter box takes the markup as text too.
        await page.GotoAsync("/admin/events");
        var dismissed = page.Locator("#events tbody tr[data-action='miss.dismiss']");
        await Expect(dismissed.Locator("td.subject")).ToHaveTextAsync(Hostile);
        await Expect(dismissed.Locator("td.actor")).ToHaveTextAsync(new Regex("^anonymous \\("));
        await page.GotoAsync("/admin/events?filter=" + Uri.EscapeDataString(Markup));
        await Expect(page.Locator("#events tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator(".filtered code")).ToHaveTextAsync(Markup);
        await BrowserFixture.ScreenshotAsync(page, "xss-events");

        Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Empty(watch.Dialogs);
        Assert.Empty(watch.PolicyViolations);
    }

    [Fact]
    public async Task ApiTokens_CreateShowOnceUseReloadRevoke_TheApiFollows()
    {
        const string Artifacts = "/api/v1/artifacts";
        await using var server = await StartServerAsync(curate: true, password: true);
        await using var context = await _browser.NewContextAsync(server.BaseUrl);
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, acceptDialogs: true);
        await LogInAsync(page);

        await NavigateAsync(page, "API tokens");
        await Expect(page.Locator("header nav a[aria-current=page]")).ToHaveTextAsync("API tokens");
        await Expect(page.Locator("#no-rows")).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.withcacheMarker = 'not reloaded'; }");

        // Create: htmx posts the form and swaps in the answer, which carries the token this once and is not stored.
        await page.FillAsync("#token-name", "ci-bot");
        var created = await page.RunAndWaitForResponseAsync(
            () => page.ClickAsync("#token-create"),
            response => response.Request.Method == "POST" && response.Url.EndsWith("/admin/tokens", StringComparison.Ordinal));
        Assert.Equal(200, created.Status);
        Assert.Contains("no-store", created.Headers["cache-control"], StringComparison.Ordinal);
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync("token 'ci-bot' created");
        await Expect(page.Locator("#new-token strong")).ToHaveTextAsync("ci-bot");
        var secret = page.Locator("#new-token-value");
        await Expect(secret).ToHaveValueAsync(new Regex("^wc_[A-Za-z0-9_-]{43}$"));
        var token = await secret.InputValueAsync();
        Assert.Equal("not reloaded", await page.EvaluateAsync<string>("() => window.withcacheMarker"));
        var row = page.Locator("#tokens tbody tr", new() { HasText = "ci-bot" });
        await Expect(row).ToHaveAttributeAsync("data-state", "active");
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("never");
        await BrowserFixture.ScreenshotAsync(page, "tokens-created");

        using var api = new ApiClient(server.BaseUrl, token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(Artifacts)).Status);

        // Reload (a GET: the create went through htmx): the name and its use are listed, the token is gone for good.
        await page.ReloadAsync();
        await Expect(page.Locator("#tokens tbody tr")).ToHaveCountAsync(1);
        await Expect(row.Locator("td").First).ToHaveTextAsync("ci-bot");
        await Expect(row).ToHaveAttributeAsync("data-state", "active");
        await Expect(row.Locator("td").Nth(2).Locator("time")).ToHaveCountAsync(1);
        await Expect(page.Locator("#new-token")).ToHaveCountAsync(0);
        await Expect(page.Locator("#flash")).ToHaveCountAsync(0);
        Assert.DoesNotContain(token, await page.ContentAsync(), StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(page, "tokens-listed");

        // Revoke, confirmed in the browser's dialog: the API refuses the token at once.
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync("token 'ci-bot' revoked");
        await Expect(row).ToHaveAttributeAsync("data-state", "revoked");
        await Expect(row.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        Assert.Equal(("confirm", "Revoke the token ci-bot?"), Assert.Single(watch.Dialogs));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync(Artifacts)).Status);
        await BrowserFixture.ScreenshotAsync(page, "tokens-revoked");

        Assert.True(watch.PolicyViolations.Count == 0, string.Join("\n", watch.PolicyViolations));
        Assert.True(watch.Errors.Count == 0, string.Join("\n", watch.Errors));
        Assert.All(watch.Requests, url => Assert.StartsWith(server.BaseUrl + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TokenNameWithMarkup_RefusedByTheForm_AStoredOneRendersAsText_NoScriptRuns()
    {
        const string Markup = "<script>alert(1)</script>";
        await using var server = await StartServerAsync(curate: true, password: false);
        await using var context = await _browser.NewContextAsync(server.BaseUrl);
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, acceptDialogs: true);

        await page.GotoAsync("/admin/tokens");
        await page.FillAsync("#token-name", Markup);
        await page.ClickAsync("#token-create");
        await Expect(page.Locator("#flash.error")).ToHaveTextAsync("a name is 1 to 64 letters, digits, '.', '-' or '_'");
        await Expect(page.Locator("#new-token")).ToHaveCountAsync(0);
        await Expect(page.Locator("#no-rows")).ToBeVisibleAsync();

        // The form never stores such a name; should one reach the catalog all the same, it is text in the table, in
        // the confirmation dialog and in the answer to revoking it.
        Assert.NotNull(server.Get<ICacheCatalog>().CreateApiToken(Markup, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), DateTimeOffset.UtcNow));
        await page.ReloadAsync();
        var row = page.Locator("#tokens tbody tr");
        await Expect(row.Locator("td").First).ToHaveTextAsync(Markup);
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync($"token '{Markup}' revoked");
        await Expect(row).ToHaveAttributeAsync("data-state", "revoked");
        await BrowserFixture.ScreenshotAsync(page, "xss-tokens");

        Assert.Equal(("confirm", $"Revoke the token {Markup}?"), Assert.Single(watch.Dialogs));
        Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());
        Assert.True(watch.PolicyViolations.Count == 0, string.Join("\n", watch.PolicyViolations));
        Assert.True(watch.Errors.Count == 0, string.Join("\n", watch.Errors));
    }

    [Fact]
    public async Task WithoutJavaScript_LoginReadFilterAndActThroughPlainForms()
    {
        await using var server = await StartServerAsync(curate: true, password: true);
        var a = _origin.Add("/nojs/a.tar.gz", TestData.Bytes(2000, seed: 3));
        var b = _origin.Add("/nojs/b.tar.gz", TestData.Bytes(2000, seed: 4));
        var c = _origin.Add("/nojs/c.tar.gz", TestData.Bytes(2000, seed: 5));
        foreach (var origin in new[] { a, b, c })
        {
            (await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin)))).Dispose();
        }

        await using var context = await _browser.NewContextAsync(server.BaseUrl, javaScript: false);
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, acceptDialogs: false);
        await page.GotoAsync("/login");
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login-submit");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/downloads$"));

        // Filter with the GET form.
        await NavigateAsync(page, "Misses");
        await Expect(page.Locator("#misses tbody tr")).ToHaveCountAsync(3);
        await page.FillAsync("form.filter input[type=search]", "b.tar");
        await page.ClickAsync("form.filter button");
        await Expect(page).ToHaveURLAsync(new Regex("filter=b.tar"));
        await Expect(page.Locator("#misses tbody tr")).ToHaveCountAsync(1);

        // A row's Dismiss posts the form; the answer is a redirect back with the result shown.
        await page.Locator("#misses tbody tr").GetByRole(AriaRole.Button, new() { Name = "Dismiss" }).ClickAsync();
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync(b + ": dismissed");
        await Expect(page).ToHaveURLAsync(new Regex("filter=b.tar"));
        await Expect(page.Locator("#no-rows")).ToBeVisibleAsync();

        // Tick two rows and download both.
        await page.GotoAsync("/admin/misses");
        await page.Locator("#misses tbody tr", new() { HasText = a }).Locator("input[type=checkbox]").CheckAsync();
        await page.Locator("#misses tbody tr", new() { HasText = c }).Locator("input[type=checkbox]").CheckAsync();
        await page.ClickAsync("#download-selected");
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync("2 of 2 done");
        (await server.WaitForHitAsync(a)).Dispose();
        (await server.WaitForHitAsync(c)).Dispose();

        // Delete without a dialog: a confirmation page with its own form.
        await NavigateAsync(page, "Cached artifacts");
        await Expect(page.Locator("#artifacts tbody tr")).ToHaveCountAsync(2);
        await page.Locator("#artifacts tbody tr", new() { HasText = a }).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/artifacts/delete\\?"));
        await Expect(page.Locator("#delete-key")).ToHaveTextAsync(a);
        await BrowserFixture.ScreenshotAsync(page, "nojs-delete-confirm");
        await page.ClickAsync("#confirm-delete-button");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/artifacts\\?"));
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync(a + ": deleted");
        await Expect(page.Locator("#artifacts tbody tr")).ToHaveCountAsync(1);

        // Downloads and Add from URI work the same way.
        await NavigateAsync(page, "Downloads");
        await Expect(page.Locator("#jobs-table tbody tr[data-state=completed]")).ToHaveCountAsync(2);
        await page.ClickAsync("#clear-finished");
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync("cleared 2 finished job(s)");
        await NavigateAsync(page, "Add from URI");
        await page.FillAsync("#add-url", "ftp://mirror.example/pub/x.iso");
        await page.ClickAsync("#add-submit");
        await Expect(page.Locator("#flash.error")).ToContainTextAsync("http");
        await Expect(page.Locator("#add-url")).ToHaveValueAsync("ftp://mirror.example/pub/x.iso");

        // Events: everything above, newest first, filtered with the GET form.
        await NavigateAsync(page, "Events");
        var events = page.Locator("#events tbody tr");
        await Expect(events.First).ToHaveAttributeAsync("data-action", "url.add");
        await Expect(events.First.Locator("td.detail")).ToContainTextAsync("http");
        await page.FillAsync("form.filter input[type=search]", "artifact.delete");
        await page.ClickAsync("form.filter button");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/events\\?filter=artifact.delete$"));
        await Expect(events).ToHaveCountAsync(1);
        await Expect(events.Locator("td.subject")).ToHaveTextAsync(a);
        await Expect(events.Locator("td.actor")).ToHaveTextAsync(new Regex("^operator \\("));
        await Expect(events.Locator("td.detail")).ToHaveTextAsync("deleted");
        Assert.Empty(watch.Dialogs);
    }

    [Fact]
    public async Task AutoFetch_EachMissShowsItsFill_AndLeavesTheListWhenCached()
    {
        await using var server = await StartServerAsync(curate: false, password: false);
        var held = _origin.Add("/auto/held.iso", TestData.Bytes(200_000, seed: 6));
        _origin.Hold("/auto/held.iso");
        var missing = _origin.AddStatus("/auto/gone.iso", 404);
        foreach (var origin in new[] { held, missing })
        {
            (await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin)))).Dispose();
        }

        await using var context = await _browser.NewContextAsync(server.BaseUrl);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/admin/misses");
        await Expect(page.Locator("p.lead")).ToContainTextAsync("Auto-fetch mode");
        var heldRow = page.Locator("#misses tbody tr", new() { HasText = held });
        var missingRow = page.Locator("#misses tbody tr", new() { HasText = missing });
        await Expect(heldRow.Locator("td.fill mark.state")).ToHaveTextAsync(new Regex("^(queued|running)$"));

        // The page is plain HTML: reload until the failed fill has ended (it fails at once; the reload races it).
        await WaitForJobAsync(server.Get<CacheOperations>(), missing, JobState.Failed);
        await page.ReloadAsync();
        await Expect(missingRow.Locator("td.fill mark.state")).ToHaveTextAsync("failed");
        await Expect(missingRow.Locator("td.fill .reason")).ToContainTextAsync("404");
        await BrowserFixture.ScreenshotAsync(page, "auto-misses");

        _origin.Release("/auto/held.iso");
        (await server.WaitForHitAsync(held)).Dispose();
        await page.ReloadAsync();
        await Expect(heldRow).ToHaveCountAsync(0);
        await Expect(missingRow).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Lists_SortPageAndFilter_AskForOnePageAtATime()
    {
        await using var server = await StartServerAsync(curate: true, password: false);
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var misses = Enumerable.Range(1, 120)
            .Select(i =>
            {
                var key = $"https://mirror.example/pkg/{i:D3}.run";
                return new MissDelta(key, key, i % 7 == 0 ? 1000 + i : i, start.AddMinutes(i), start.AddMinutes(i));
            })
            .ToList();
        server.Get<ICacheCatalog>().RecordMisses(misses, cap: 100_000);
        await using var context = await _browser.NewContextAsync(server.BaseUrl);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/admin/misses");
        var rows = page.Locator("#misses tbody tr");
        var pager = page.Locator("nav.pager ul").First;
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(pager).ToHaveTextAsync("Rows 1–50 of 120");
        await Expect(rows.First.Locator("td.url")).ToHaveTextAsync("https://mirror.example/pkg/120.run");

        await page.ClickAsync("th a >> text=Times asked");
        await Expect(page.Locator("th[aria-sort=descending]")).ToContainTextAsync("Times asked");
        await Expect(rows.First.Locator("td.num")).ToHaveTextAsync("1,119");
        await page.ClickAsync("th a >> text=Times asked");
        await Expect(page.Locator("th[aria-sort=ascending]")).ToContainTextAsync("Times asked");
        await Expect(rows.First.Locator("td.num")).ToHaveTextAsync("1");

        await page.ClickAsync("nav.pager >> text=Next");
        await Expect(pager).ToHaveTextAsync("Rows 51–100 of 120");
        await page.ClickAsync("nav.pager >> text=Last");
        await Expect(pager).ToHaveTextAsync("Rows 101–120 of 120");
        await Expect(rows).ToHaveCountAsync(20);
        await Expect(page.Locator("th[aria-sort=ascending]")).ToContainTextAsync("Times asked");

        await page.FillAsync("form.filter input[type=search]", "pkg/00");
        await page.ClickAsync("form.filter button");
        await Expect(pager).ToHaveTextAsync("Rows 1–9 of 9");
        await Expect(rows.First.Locator("td.num")).ToHaveTextAsync("1");
        await BrowserFixture.ScreenshotAsync(page, "misses-sorted-filtered");
    }

    /// <summary>
    /// A busy cache: jobs in every state, artifacts with hits, a capacity cap. Checks what each state shows, and
    /// writes the screenshots the README uses (desktop) plus each page at phone width, where nothing may overflow.
    /// </summary>
    [Fact]
    public async Task BusyCache_EveryJobStateAndPage_ShowsRightOnDesktopAndPhone()
    {
        await using var partial = await ArtifactOrigin.StartAsync();
        await using var server = await StartServerAsync(curate: true, password: true, s =>
        {
            s["WithCache:Workers"] = "2";
            s["WithCache:MaxBytes"] = Text(160L * 1024 * 1024);
        });
        var operations = server.Get<CacheOperations>();

        // Finished artifacts, asked for a few times before the operator let them in, then hit.
        (string Path, int Size, int MissesBefore, int Hits)[] finished =
        [
            ("/compute/cuda/12.6.2/local_installers/cuda_12.6.2_560.35.03_linux.run", 9 * 1024 * 1024, 4, 23),
            ("/rocm/apt/6.2.4/pool/main/r/rocm-core/rocm-core_6.2.4.60204-139~24.04_amd64.deb", 1536 * 1024, 2, 7),
            ("/doca/3.0.0/host/doca-host_3.0.0-058000-25.04-ubuntu2404_amd64.deb", 6 * 1024 * 1024, 1, 3),
            ("/firmware/mlnx/fw-ConnectX7-rel-28_43_1014-MCX755106AS-HEA_Ax-UEFI-14.36.16-FlexBoot-3.7.500.signed.bin", 700 * 1024, 6, 0),
        ];
        var seed = 10;
        foreach (var (path, size, missesBefore, hits) in finished)
        {
            var url = _origin.Add(path, TestData.Bytes(size, seed++));
            for (var i = 0; i < missesBefore; i++)
            {
                (await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(url)))).Dispose();
            }

            await WaitForMissAsync(operations, url);
            Assert.True(operations.DownloadMiss(url).Succeeded);
            (await server.WaitForHitAsync(url)).Dispose();
            for (var i = 1; i < hits; i++)
            {
                (await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(url)))).Dispose();
            }
        }

        var failed = _origin.AddStatus("/nvidia/drivers/NVIDIA-Linux-x86_64-999.99.run", 404);
        Assert.True(operations.AddFromUri(failed).Succeeded);
        await WaitForJobAsync(operations, failed, JobState.Failed);

        // Two fills stopped part-way (both workers busy), one queued behind them, one cancelled while queued.
        const string BigPath = "/rocm/rocm-6.2.4-installer.tar.xz";
        const string MediumPath = "/doca/doca-all-3.0.0-ubuntu2404.iso";
        var big = partial.Add(BigPath, TestData.Bytes(48 * 1024 * 1024, 20));
        partial.Hold(BigPath, share: 0.45);
        var medium = partial.Add(MediumPath, TestData.Bytes(20 * 1024 * 1024, 21));
        partial.Hold(MediumPath, share: 0.7);
        Assert.True(operations.AddFromUri(big).Succeeded);
        Assert.True(operations.AddFromUri(medium).Succeeded);
        await WaitForJobAsync(operations, big, JobState.Running, minimumBytes: 1);
        await WaitForJobAsync(operations, medium, JobState.Running, minimumBytes: 1);
        var queued = _origin.Add("/compute/cuda/repos/cuda-keyring_1.1-1_all.deb", TestData.Bytes(4096, 22));
        var cancelled = _origin.Add("/firmware/bluefield/bf-fwbundle-2.9.2-31_25.02-prod.bfb", TestData.Bytes(4096, 23));
        Assert.True(operations.AddFromUri(queued).Succeeded);
        Assert.True(operations.AddFromUri(cancelled).Succeeded);
        var cancelledJob = await WaitForJobAsync(operations, cancelled, JobState.Queued);

        // Misses still waiting for the operator.
        foreach (var path in new[] { "/rocm/apt/6.3/pool/main/h/hipblas/hipblas_2.3.0.60300-39~24.04_amd64.deb", "/compute/cudnn/9.5.1/cudnn-linux-x86_64-9.5.1.17_cuda12-archive.tar.xz" })
        {
            var url = _origin.Add(path, TestData.Bytes(100, 30));
            for (var i = 0; i < 3; i++)
            {
                (await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(url)))).Dispose();
            }
        }

        await using var context = await _browser.NewContextAsync(server.BaseUrl);
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, acceptDialogs: true);
        await LogInAsync(page);

        // Cancel the queued one through the UI.
        await page.GotoAsync("/admin/downloads");
        await page.Locator($"#job-{cancelledJob.Job.Id}").GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.Locator("#flash.ok")).ToHaveTextAsync($"Download {cancelledJob.Job.Id}: cancelling");
        await Expect(page.Locator($"#job-{cancelledJob.Job.Id}")).ToHaveAttributeAsync("data-state", "cancelled");

        var running = page.Locator("#jobs-table tbody tr[data-state=running]");
        await Expect(running).ToHaveCountAsync(2);
        await Expect(running.Locator(".rate")).ToHaveCountAsync(2);
        await Expect(running.Locator(".eta")).ToHaveCountAsync(2);
        await Expect(page.Locator("#jobs-table tbody tr", new() { HasText = big }).Locator(".bytes")).ToContainTextAsync("of 48 MiB");
        await Expect(page.Locator("#jobs-table tbody tr", new() { HasText = queued })).ToHaveAttributeAsync("data-state", "queued");
        await Expect(page.Locator("#jobs-table tbody tr", new() { HasText = failed }).Locator(".reason")).ToContainTextAsync("404");
        await Expect(page.Locator("#jobs-table tbody tr[data-state=completed]")).ToHaveCountAsync(finished.Length);
        BrowserFixture.Publish(await BrowserFixture.ScreenshotAsync(page, "busy-downloads"), "downloads");

        await NavigateAsync(page, "Cached artifacts");
        await Expect(page.Locator("#artifacts tbody tr")).ToHaveCountAsync(finished.Length);
        await Expect(page.Locator("#capacity progress")).ToHaveAttributeAsync("max", Text(160L * 1024 * 1024));
        await Expect(page.Locator("#capacity")).ToContainTextAsync("reserved by downloads in flight");
        BrowserFixture.Publish(await BrowserFixture.ScreenshotAsync(page, "busy-artifacts"), "artifacts");

        await NavigateAsync(page, "Misses");
        await Expect(page.Locator("#misses tbody tr")).ToHaveCountAsync(2);
        await BrowserFixture.ScreenshotAsync(page, "busy-misses");

        // Events: the cancel above by the operator, and the fills' outcomes by the system.
        await NavigateAsync(page, "Events");
        var cancel = page.Locator("#events tbody tr[data-action='job.cancel']");
        await Expect(cancel.Locator("td.subject")).ToHaveTextAsync($"job {cancelledJob.Job.Id}");
        await Expect(cancel.Locator("td.actor")).ToHaveTextAsync(new Regex("^operator \\("));
        await Expect(page.Locator("#events tbody tr[data-action='fill.completed']")).ToHaveCountAsync(finished.Length);
        await Expect(page.Locator("#events tbody tr[data-action='fill.failed'] td.detail")).ToContainTextAsync("404");
        await Expect(page.Locator("#events time").First).ToHaveAttributeAsync("title", new Regex(" UTC$"));
        await BrowserFixture.ScreenshotAsync(page, "busy-events");

        // Phone width: every page fits the screen (wide tables scroll inside their own box).
        await using var phoneContext = await _browser.NewContextAsync(server.BaseUrl, width: 390, height: 844);
        var phone = await phoneContext.NewPageAsync();
        var phoneWatch = PageWatch.Attach(phone, acceptDialogs: false);
        await LogInAsync(phone);
        foreach (var (path, name) in new[] { ("/admin/misses", "misses"), ("/admin/downloads", "downloads"), ("/admin/artifacts", "artifacts"), ("/admin/add", "add"), ("/admin/events", "events"), ("/admin/tokens", "tokens") })
        {
            await phone.GotoAsync(path);
            await Expect(phone.Locator("main#page h1")).ToBeVisibleAsync();
            await BrowserFixture.ScreenshotAsync(phone, "phone-" + name);
            var overflow = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"{path} is {overflow} px wider than a 390 px screen");
        }

        partial.Release(BigPath);
        partial.Release(MediumPath);
        await Expect(page.Locator("#open-warning")).ToHaveCountAsync(0);
        Assert.Empty(watch.Dialogs);
        Assert.Empty(watch.PolicyViolations);
        Assert.Empty(phoneWatch.PolicyViolations);
    }

    private Task<ServerHost> StartServerAsync(bool curate, bool password, Action<Dictionary<string, string?>>? configure = null) =>
        ServerHost.StartAsync(_dir.Path, s =>
        {
            if (curate)
            {
                s["WithCache:Curate"] = "true";
            }

            if (password)
            {
                s["Ui:AdminPassword"] = Password;
            }

            // A held origin must not look like a stalled one while the test watches it.
            s["Fetch:IdleTimeout"] = "00:01:00";
            configure?.Invoke(s);
        });

    /// <summary>
    /// Follows a navigation link and waits for the new page's load event: a click only waits for the navigation to
    /// commit, and a button pressed before htmx (a deferred script) has processed the page takes the no-JavaScript path.
    /// </summary>
    private static async Task NavigateAsync(IPage page, string linkText)
    {
        var link = page.Locator("header nav a", new() { HasTextString = linkText });
        var target = await link.GetAttributeAsync("href") ?? "/";
        await link.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(target) + "$"));
        await page.WaitForLoadStateAsync(LoadState.Load);
    }

    private static async Task LogInAsync(IPage page)
    {
        await page.GotoAsync("/login");
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login-submit");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/downloads$"));
    }

    private static async Task WaitForMissAsync(CacheOperations operations, string key)
    {
        var deadline = DateTime.UtcNow + BrowserFixture.Patience;
        while (operations.ListMisses(new ListQuery(Filter: key)).All(miss => miss.Key != key))
        {
            Assert.True(DateTime.UtcNow < deadline, "the miss of " + key + " was not recorded");
            await Task.Delay(20);
        }
    }

    private static async Task<JobView> WaitForJobAsync(CacheOperations operations, string key, JobState state, long minimumBytes = 0)
    {
        var deadline = DateTime.UtcNow + BrowserFixture.Patience;
        while (true)
        {
            var job = operations.ListJobs(new ListQuery(Filter: key)).FirstOrDefault(j => j.Job.Key == key);
            if (job is not null && job.Job.State == state && job.BytesDone >= minimumBytes)
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the job of {key} did not reach {state}: {job?.Job.State} {job?.BytesDone}");
            await Task.Delay(20);
        }
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
