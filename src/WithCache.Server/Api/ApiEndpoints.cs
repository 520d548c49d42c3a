using Microsoft.AspNetCore.Http.HttpResults;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Ui.Auth;
using WithCache.Server.Ui.Components;

namespace WithCache.Server.Api;

/// <summary>
/// The JSON API under <c>/api/v1</c>: a thin layer over <see cref="CacheOperations"/>, like the UI, behind a bearer
/// token (<see cref="ApiTokenHandler"/>) and without antiforgery (no cookie opens it). Actions are POSTs with a JSON
/// body, so a key (which may keep a query with --keep-query) never sits in a request line. Errors are RFC 9457
/// problem details: 400 with the field at fault, 401, 404 for an unknown key or job.
/// </summary>
internal static class ApiEndpoints
{
    public const string Prefix = "/api/v1";
    public const int MaxLimit = 200;
    private const int DefaultLimit = 50;

    private static readonly string[] ArtifactSorts = ["fetched", "hits", "size", "key"];
    private static readonly string[] MissSorts = ["last", "count", "first", "key"];
    private static readonly string[] JobSorts = ["state", "id"];

    public static RouteGroupBuilder MapApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Prefix)
            .RequireAuthorization(OperatorAuth.ApiPolicy)
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapGet("/artifacts", ListArtifacts)
            .WithTags("Artifacts")
            .WithSummary("List cached artifacts")
            .WithDescription("sort: fetched (default), hits, size or key.");
        api.MapPost("/artifacts", AddUrl)
            .WithTags("Artifacts")
            .WithSummary("Download a URL into the cache now")
            .WithDescription("The same rules as any fill; subject is the key it will be stored under.");
        api.MapPost("/artifacts/delete", DeleteArtifact)
            .WithTags("Artifacts")
            .WithSummary("Delete a cached artifact")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/misses", ListMisses)
            .WithTags("Misses")
            .WithSummary("List misses")
            .WithDescription("sort: last (default), count, first or key.");
        api.MapPost("/misses/approve", ApproveMiss)
            .WithTags("Misses")
            .WithSummary("Approve a miss: queue its download")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/misses/dismiss", DismissMiss)
            .WithTags("Misses")
            .WithSummary("Dismiss a miss")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/jobs", ListJobs)
            .WithTags("Jobs")
            .WithSummary("List download jobs")
            .WithDescription("sort: state (default: running, then queued, then the rest, newest first) or id. total is not counted; more says whether a next page exists.");
        api.MapGet("/jobs/{id:long}", GetJob)
            .WithTags("Jobs")
            .WithSummary("One download job")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{id:long}/cancel", CancelJob)
            .WithTags("Jobs")
            .WithSummary("Cancel a queued or running job")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/events", ListEvents)
            .WithTags("Events")
            .WithSummary("List audit events, newest first")
            .WithDescription("filter matches actor, action or subject; sort and order are not taken.");
        return api;
    }

    // ---- artifacts ----

    private static Results<Ok<ListPage<ArtifactItem>>, ValidationProblem> ListArtifacts([AsParameters] ListParameters list, CacheOperations operations) =>
        Paged(list, ArtifactSorts, query => Counted(
            [.. operations.ListArtifacts(query).Select(a => new ArtifactItem(a.Key, a.Digest.Hex, a.Size, a.FetchedAt, a.Hits, a.MissesBefore))],
            query,
            operations.CountArtifacts(query.Filter)));

    private static Results<Ok<ActionAnswer>, ValidationProblem, ProblemHttpResult> AddUrl(UrlRequest? request, CacheOperations operations)
    {
        if (string.IsNullOrWhiteSpace(request?.Url))
        {
            return Required("url");
        }

        var result = operations.AddFromUri(request.Url);
        return Answer(operations.FindKey(request.Url) ?? request.Url.Trim(), result);
    }

    private static Results<Ok<ActionAnswer>, ValidationProblem, ProblemHttpResult> DeleteArtifact(KeyRequest? request, CacheOperations operations) =>
        OnKey(request, operations.DeleteArtifact);

    // ---- misses ----

    private static Results<Ok<ListPage<MissItem>>, ValidationProblem> ListMisses([AsParameters] ListParameters list, CacheOperations operations) =>
        Paged(list, MissSorts, query => Counted(
            [.. operations.ListMisses(query).Select(m => new MissItem(m.Key, m.Count, m.FirstSeen, m.LastSeen))],
            query,
            operations.CountMisses(query.Filter)));

    private static Results<Ok<ActionAnswer>, ValidationProblem, ProblemHttpResult> ApproveMiss(KeyRequest? request, CacheOperations operations) =>
        OnKey(request, operations.DownloadMiss);

    private static Results<Ok<ActionAnswer>, ValidationProblem, ProblemHttpResult> DismissMiss(KeyRequest? request, CacheOperations operations) =>
        OnKey(request, operations.DismissMiss);

    // ---- jobs ----

    private static Results<Ok<ListPage<JobItem>>, ValidationProblem> ListJobs([AsParameters] ListParameters list, CacheOperations operations) =>
        Paged(list, JobSorts, query =>
        {
            // There is no count of jobs: one row more than the page says whether a next page exists.
            var rows = operations.ListJobs(query with { Limit = query.Limit + 1 });
            var more = rows.Count > query.Limit;
            return new ListPage<JobItem>([.. rows.Take(query.Limit).Select(ToItem)], query.Offset, query.Limit, null, more);
        });

    private static Results<Ok<JobItem>, ProblemHttpResult> GetJob(long id, CacheOperations operations) =>
        operations.FindJob(id) is { } job ? TypedResults.Ok(ToItem(job)) : NotFound("no job with that id");

    private static Results<Ok<ActionAnswer>, ValidationProblem, ProblemHttpResult> CancelJob(long id, CacheOperations operations) =>
        Answer($"job {id}", operations.CancelJob(id));

    private static JobItem ToItem(JobView view) => new(
        view.Job.Id,
        view.Job.Key,
        UiFormat.State(view.Job.State),
        view.BytesDone,
        view.BytesTotal,
        view.Job.Reason,
        view.Job.PermanentFailure,
        view.Job.CreatedAt,
        view.Job.UpdatedAt);

    // ---- events ----

    private static Results<Ok<ListPage<EventItem>>, ValidationProblem> ListEvents([AsParameters] ListParameters list, CacheOperations operations) =>
        Paged(list, [], query => Counted(
            [.. operations.ListEvents(query).Select(e => new EventItem(e.Id, e.At, e.Actor, e.Action, e.Subject, e.Detail))],
            query,
            operations.CountEvents(query.Filter)));

    // ---- plumbing ----

    /// <summary>A page of a list, or the validation problem of its query parameters.</summary>
    private static Results<Ok<ListPage<T>>, ValidationProblem> Paged<T>(ListParameters list, IReadOnlyList<string> sorts, Func<ListQuery, ListPage<T>> page)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        return ReadQuery(list, sorts, errors) is { } query ? TypedResults.Ok(page(query)) : TypedResults.ValidationProblem(errors);
    }

    /// <summary>The list query, or null with <paramref name="errors"/> filled; <paramref name="sorts"/> has the default first (empty: no sorting).</summary>
    private static ListQuery? ReadQuery(ListParameters list, IReadOnlyList<string> sorts, Dictionary<string, string[]> errors)
    {
        if (list.Offset is < 0)
        {
            errors["offset"] = ["must be 0 or more"];
        }

        if (list.Limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"must be from 1 to {MaxLimit}"];
        }

        var sort = string.IsNullOrEmpty(list.Sort) ? null : list.Sort;
        if (sort is not null && !sorts.Contains(sort, StringComparer.Ordinal))
        {
            errors["sort"] = [sorts.Count == 0 ? "this list has one fixed order" : "must be one of: " + string.Join(", ", sorts)];
        }

        var order = string.IsNullOrEmpty(list.Order) ? null : list.Order;
        if (order is not (null or "asc" or "desc") || (order is not null && sorts.Count == 0))
        {
            errors["order"] = [sorts.Count == 0 ? "this list has one fixed order" : "must be asc or desc"];
        }

        if (errors.Count > 0)
        {
            return null;
        }

        sort ??= sorts.Count > 0 ? sorts[0] : null;
        var filter = list.Filter?.Trim() is { Length: > 0 } f ? f : null;
        return new ListQuery(list.Offset ?? 0, list.Limit ?? DefaultLimit, filter, sort, order is null ? sort == "key" : order == "asc");
    }

    private static ListPage<T> Counted<T>(IReadOnlyList<T> rows, ListQuery query, long total) =>
        new(rows, query.Offset, query.Limit, total, query.Offset + rows.Count < total);

    private static Results<Ok<ActionAnswer>, ValidationProblem, ProblemHttpResult> OnKey(KeyRequest? request, Func<string, OperationResult> action) =>
        string.IsNullOrEmpty(request?.Key) ? Required("key") : Answer(request.Key, action(request.Key));

    private static Results<Ok<ActionAnswer>, ValidationProblem, ProblemHttpResult> Answer(string subject, OperationResult result) =>
        result.Outcome switch
        {
            OperationOutcome.Ok => TypedResults.Ok(new ActionAnswer(subject, result.Message)),
            OperationOutcome.NotFound => NotFound(result.Message),
            _ => TypedResults.Problem(result.Message, statusCode: StatusCodes.Status400BadRequest, title: "Not done"),
        };

    private static ValidationProblem Required(string field) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = ["is required"] });

    private static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
