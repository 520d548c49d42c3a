using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Ui.Auth;
using WithCache.Server.Ui.Components;
using WithCache.Server.Ui.Pages;

namespace WithCache.Server.Ui;

/// <summary>
/// The operator UI: server-rendered Razor components over <see cref="CacheOperations"/>, behind the operator login.
/// Reading is plain links and GET forms. An action is a POST form with the antiforgery token: a browser without
/// JavaScript gets a redirect back to the page with the result in the query string (shown as a flash message); htmx
/// (which sends <c>HX-Request</c>) gets the page itself with the flash message, and swaps its <c>#page</c> in.
/// A list page only ever asks for one page of rows and their count.
/// </summary>
internal static partial class UiEndpoints
{
    private const string MissesPath = "/admin/misses";
    private const string DownloadsPath = "/admin/downloads";
    private const string ArtifactsPath = "/admin/artifacts";
    private const string AddPath = "/admin/add";
    private const string EventsPath = "/admin/events";

    /// <summary>How many keys one action accepts (a page of rows at most).</summary>
    private const int MaxKeysPerAction = ListState.MaxLimit;

    /// <summary>How many of the most relevant jobs (running, queued, newest) are matched to the misses on a page.</summary>
    private const int JobsScannedForMisses = 500;

    private static readonly string[] MissSorts = ["last", "count", "first", "key"];
    private static readonly string[] ArtifactSorts = ["fetched", "hits", "size", "key"];

    public static RouteGroupBuilder MapUi(this IEndpointRouteBuilder endpoints)
    {
        var ui = endpoints.MapGroup("").RequireOperator();
        ui.MapGet("/", Home);

        var admin = ui.MapGroup("/admin");
        admin.MapGet("/", Home);
        admin.MapGet("/misses", Misses);
        admin.MapPost("/misses/download", DownloadMisses);
        admin.MapPost("/misses/dismiss", DismissMisses);
        admin.MapGet("/downloads", Downloads);
        admin.MapGet("/downloads/rows", DownloadRows);
        admin.MapPost("/jobs/{id:long}/cancel", CancelJob);
        admin.MapPost("/jobs/clear", ClearJobs);
        admin.MapGet("/artifacts", Artifacts);
        admin.MapGet("/artifacts/delete", ConfirmDelete);
        admin.MapPost("/artifacts/delete", DeleteArtifact);
        admin.MapGet("/add", Add);
        admin.MapPost("/add", AddFromUri);
        admin.MapGet("/events", Events);
        MapTokens(admin);
        return ui;
    }

    private static RedirectHttpResult Home() => TypedResults.LocalRedirect(DownloadsPath);

    // ---- misses ----

    private static RazorComponentResult<MissesPage> Misses(HttpRequest request, CacheOperations operations, TimeProvider time) =>
        Page<MissesPage>(LoadMisses(operations, ListState.Read(Query(request), MissSorts), FlashMessage.Read(Query(request)), time.GetUtcNow()));

    private static Results<RazorComponentResult<MissesPage>, RedirectHttpResult> DownloadMisses(
        HttpRequest request, IFormCollection form, CacheOperations operations, TimeProvider time) =>
        OnMisses(request, form, operations, time, operations.DownloadMiss);

    private static Results<RazorComponentResult<MissesPage>, RedirectHttpResult> DismissMisses(
        HttpRequest request, IFormCollection form, CacheOperations operations, TimeProvider time) =>
        OnMisses(request, form, operations, time, operations.DismissMiss);

    private static Results<RazorComponentResult<MissesPage>, RedirectHttpResult> OnMisses(
        HttpRequest request, IFormCollection form, CacheOperations operations, TimeProvider time, Func<string, OperationResult> action)
    {
        var state = ListState.Read(Form(form), MissSorts);
        var flash = ForEachKey(SelectedKeys(form), action);
        return Answer<MissesPage>(request, MissesPath, state, flash, () => LoadMisses(operations, state, flash, time.GetUtcNow()));
    }

    private static MissesView LoadMisses(CacheOperations operations, ListState state, FlashMessage? flash, DateTimeOffset now)
    {
        var rows = operations.ListMisses(state.ToQuery());
        var total = operations.CountMisses(state.Filter);
        if (rows.Count == 0 && state.Offset > 0 && total > 0)
        {
            // The page emptied (the last rows were dismissed or downloaded): show the last page that has rows.
            state = state.AtOffset(state.LastOffset(total));
            rows = operations.ListMisses(state.ToQuery());
        }

        return new MissesView(rows, total, state, operations.Curate, JobsFor(operations, rows), now, flash);
    }

    /// <summary>The most relevant job of each missed key on the page (running and queued ones sort first).</summary>
    private static Dictionary<string, JobView> JobsFor(CacheOperations operations, IReadOnlyList<MissRecord> misses)
    {
        var jobs = new Dictionary<string, JobView>(StringComparer.Ordinal);
        if (misses.Count == 0)
        {
            return jobs;
        }

        var keys = misses.Select(miss => miss.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var job in operations.ListJobs(new ListQuery(0, JobsScannedForMisses)))
        {
            if (keys.Contains(job.Job.Key))
            {
                jobs.TryAdd(job.Job.Key, job);
            }
        }

        return jobs;
    }

    /// <summary>A row's own button (<c>one</c>) acts on that row alone; the buttons under the table act on the ticked rows.</summary>
    private static string[] SelectedKeys(IFormCollection form)
    {
        var one = form["one"].ToString();
        return one.Length > 0 ? [one] : [.. form["key"].OfType<string>().Where(key => key.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    private static FlashMessage ForEachKey(string[] keys, Func<string, OperationResult> action)
    {
        if (keys.Length == 0)
        {
            return new FlashMessage(false, "Select at least one row first.");
        }

        if (keys.Length > MaxKeysPerAction)
        {
            return new FlashMessage(false, $"At most {MaxKeysPerAction} rows at a time.");
        }

        if (keys.Length == 1)
        {
            var result = action(keys[0]);
            return new FlashMessage(result.Succeeded, $"{keys[0]}: {result.Message}");
        }

        var results = keys.Select(key => (Key: key, Result: action(key))).ToList();
        var succeeded = results.Count(r => r.Result.Succeeded);
        var message = $"{succeeded} of {results.Count} done";
        if (results.FirstOrDefault(r => !r.Result.Succeeded) is { Key: { } failedKey, Result: { } failure })
        {
            message += $"; {failedKey}: {failure.Message}";
        }

        return new FlashMessage(succeeded == results.Count, message);
    }

    // ---- downloads ----

    private static RazorComponentResult<DownloadsPage> Downloads(HttpRequest request, CacheOperations operations, TimeProvider time) =>
        Page<DownloadsPage>(LoadDownloads(operations, ListState.Read(Query(request), []), FlashMessage.Read(Query(request)), time.GetUtcNow()));

    /// <summary>The jobs table alone: what the Downloads page polls while a job is active.</summary>
    private static RazorComponentResult<DownloadsTable> DownloadRows(HttpRequest request, CacheOperations operations, TimeProvider time) =>
        Page<DownloadsTable>(LoadDownloads(operations, ListState.Read(Query(request), []), null, time.GetUtcNow()));

    private static Results<RazorComponentResult<DownloadsPage>, RedirectHttpResult> CancelJob(
        long id, HttpRequest request, IFormCollection form, CacheOperations operations, TimeProvider time)
    {
        var state = ListState.Read(Form(form), []);
        var result = operations.CancelJob(id);
        var flash = new FlashMessage(result.Succeeded, $"Download {id}: {result.Message}");
        return Answer<DownloadsPage>(request, DownloadsPath, state, flash, () => LoadDownloads(operations, state, flash, time.GetUtcNow()));
    }

    private static Results<RazorComponentResult<DownloadsPage>, RedirectHttpResult> ClearJobs(
        HttpRequest request, IFormCollection form, CacheOperations operations, TimeProvider time)
    {
        var state = ListState.Read(Form(form), []) with { Offset = 0 };
        var flash = FlashMessage.From(operations.ClearFinishedJobs());
        return Answer<DownloadsPage>(request, DownloadsPath, state, flash, () => LoadDownloads(operations, state, flash, time.GetUtcNow()));
    }

    private static DownloadsView LoadDownloads(CacheOperations operations, ListState state, FlashMessage? flash, DateTimeOffset now)
    {
        // There is no count of jobs: one row more than the page says whether a next page exists.
        var rows = operations.ListJobs(state.ToQuery() with { Limit = state.Limit + 1 });
        var hasMore = rows.Count > state.Limit;
        return new DownloadsView(hasMore ? [.. rows.Take(state.Limit)] : rows, hasMore, state, now, flash);
    }

    // ---- artifacts ----

    private static RazorComponentResult<ArtifactsPage> Artifacts(HttpRequest request, CacheOperations operations, TimeProvider time) =>
        Page<ArtifactsPage>(LoadArtifacts(operations, ListState.Read(Query(request), ArtifactSorts), FlashMessage.Read(Query(request)), time.GetUtcNow()));

    /// <summary>The confirmation a browser without JavaScript gets (htmx asks with a dialog and posts directly).</summary>
    private static Results<RazorComponentResult<DeleteConfirmPage>, RedirectHttpResult> ConfirmDelete(HttpRequest request)
    {
        var state = ListState.Read(Query(request), ArtifactSorts);
        var key = request.Query["key"].ToString();
        return key.Length == 0
            ? TypedResults.LocalRedirect(state.Link(ArtifactsPath))
            : Page<DeleteConfirmPage>(new DeleteView(key, state));
    }

    private static Results<RazorComponentResult<ArtifactsPage>, RedirectHttpResult> DeleteArtifact(
        HttpRequest request, IFormCollection form, CacheOperations operations, TimeProvider time)
    {
        var state = ListState.Read(Form(form), ArtifactSorts);
        var flash = ForEachKey(form["key"].OfType<string>().Where(key => key.Length > 0).Take(1).ToArray(), operations.DeleteArtifact);
        return Answer<ArtifactsPage>(request, ArtifactsPath, state, flash, () => LoadArtifacts(operations, state, flash, time.GetUtcNow()));
    }

    private static ArtifactsView LoadArtifacts(CacheOperations operations, ListState state, FlashMessage? flash, DateTimeOffset now)
    {
        var rows = operations.ListArtifacts(state.ToQuery());
        var total = operations.CountArtifacts(state.Filter);
        if (rows.Count == 0 && state.Offset > 0 && total > 0)
        {
            state = state.AtOffset(state.LastOffset(total));
            rows = operations.ListArtifacts(state.ToQuery());
        }

        var (stored, reserved, max) = operations.Capacity;
        return new ArtifactsView(rows, total, state, stored, reserved, max, now, flash);
    }

    // ---- add from URI ----

    private static RazorComponentResult<AddPage> Add(HttpRequest request) =>
        Page<AddPage>(new AddView(EmptyToNull(request.Query["url"].ToString()), FlashMessage.Read(Query(request))));

    private static Results<RazorComponentResult<AddPage>, RedirectHttpResult> AddFromUri(HttpRequest request, IFormCollection form, CacheOperations operations)
    {
        var url = form["url"].ToString();
        var result = operations.AddFromUri(url);
        var flash = new FlashMessage(result.Succeeded, result.Succeeded ? $"{url.Trim()}: {result.Message}" : result.Message);

        // A refused URL stays in the box to be corrected; an accepted one leaves it empty for the next.
        var keep = result.Succeeded ? null : url;
        if (IsHtmx(request))
        {
            return Page<AddPage>(new AddView(keep, flash));
        }

        var query = flash.Fields().Concat(keep is null ? [] : [new KeyValuePair<string, string?>("url", keep)]);
        return TypedResults.LocalRedirect(AddPath + QueryString.Create(query).ToUriComponent());
    }

    // ---- events (the audit log) ----

    private static RazorComponentResult<EventsPage> Events(HttpRequest request, CacheOperations operations, TimeProvider time) =>
        Page<EventsPage>(LoadEvents(operations, ListState.Read(Query(request), []), time.GetUtcNow()));

    private static EventsView LoadEvents(CacheOperations operations, ListState state, DateTimeOffset now)
    {
        var rows = operations.ListEvents(state.ToQuery());
        var total = operations.CountEvents(state.Filter);
        if (rows.Count == 0 && state.Offset > 0 && total > 0)
        {
            // A link to a deep page outlived its rows (the oldest are dropped beyond --max-events): show the last page.
            state = state.AtOffset(state.LastOffset(total));
            rows = operations.ListEvents(state.ToQuery());
        }

        return new EventsView(rows, total, state, now);
    }

    // ---- plumbing ----

    /// <summary>htmx gets the page with the flash message to swap in; a plain form post gets a redirect back to it (POST, redirect, GET).</summary>
    private static Results<RazorComponentResult<TPage>, RedirectHttpResult> Answer<TPage>(
        HttpRequest request, string path, ListState state, FlashMessage flash, Func<object> load)
        where TPage : IComponent =>
        IsHtmx(request) ? Page<TPage>(load()) : TypedResults.LocalRedirect(state.Link(path, flash.Fields()));

    private static RazorComponentResult<TPage> Page<TPage>(object view)
        where TPage : IComponent =>
        new(new Dictionary<string, object?> { ["View"] = view });

    private static bool IsHtmx(HttpRequest request) => request.Headers["HX-Request"] == "true";

    private static Func<string, StringValues> Query(HttpRequest request) => name => request.Query[name];

    private static Func<string, StringValues> Form(IFormCollection form) => name => form[name];

    private static string? EmptyToNull(string text) => text.Length == 0 ? null : text;
}
