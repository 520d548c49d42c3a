using Microsoft.Extensions.Options;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.Audit;

/// <summary>
/// Records who did what: the actor is the signed-in principal of the current request (the UI's operator, an API
/// token's name) with the client address, "anonymous" when the UI is open, and "system" outside a request (fills).
/// Kept to <see cref="ServerOptions.MaxEvents"/> rows. Never given a secret: subjects are keys, ids and URLs as
/// the catalog already shows them.
/// </summary>
internal sealed partial class AuditLog
{
    public const string System = "system";

    private readonly ICacheCatalog _database;
    private readonly IHttpContextAccessor _http;
    private readonly TimeProvider _time;
    private readonly ServerOptions _options;
    private readonly ILogger<AuditLog> _logger;

    public AuditLog(ICacheCatalog database, IHttpContextAccessor http, TimeProvider time, IOptions<ServerOptions> options, ILogger<AuditLog> logger)
    {
        _database = database;
        _http = http;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The actor of the request in progress, or <see cref="System"/>.</summary>
    public string CurrentActor
    {
        get
        {
            if (_http.HttpContext is not { } context)
            {
                return System;
            }

            var name = context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } n } ? n : "anonymous";
            return context.Connection.RemoteIpAddress is { } address ? $"{name} ({address})" : name;
        }
    }

    public void Record(string action, string subject, string detail) => Record(CurrentActor, action, subject, detail);

    public void Record(string actor, string action, string subject, string detail)
    {
        try
        {
            _database.RecordEvent(_time.GetUtcNow(), actor, action, subject, detail, _options.MaxEvents);
        }
        catch (Exception e) when (e is global::System.Data.Common.DbException or CatalogUnavailableException)
        {
            // The action itself happened; a catalog that cannot take the line (disk full, a shared database away)
            // must not undo or fail it.
            LogNotRecorded(_logger, action, subject, e.Message);
        }
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "Audit event {Action} on {Subject} not recorded: {Reason}")]
    private static partial void LogNotRecorded(ILogger logger, string action, string subject, string reason);
}
