using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace WithCache.Server.Downloads;

/// <summary>
/// Per-host request headers for vendor downloads that need a login (a bearer token, an API key), read once at start
/// from <see cref="FetchOptions.CredentialsFile"/>. The file lives only on the cache-host; the shims never send
/// credentials to it. Values are never logged and never put in a reason.
/// </summary>
/// <remarks>
/// Format (<c>&lt;data-dir&gt;/credentials.json</c>): an object <c>hosts</c> whose keys name where the headers may go,
/// each mapping header names to values:
/// <code>
/// {
///   "hosts": {
///     "developer.download.nvidia.com": { "Authorization": "Bearer abc" },
///     "repo.example.com:8443": { "X-Api-Key": "k" },
///     "http://mirror.lab.internal:8081": { "X-Api-Key": "k2" }
///   }
/// }
/// </code>
/// A key is <c>host</c> (https on port 443), <c>host:port</c> (https on that port) or <c>http[s]://host[:port]</c>; the
/// host matches as connected to (punycode, lower case; no wildcards, no subdomains), the scheme and the port exactly. So any
/// LAN client asking for <c>http://developer.download.nvidia.com/...</c> or another port of that host gets a fill
/// without the token: a token configured for https is never sent in clear text or to another service of the host.
/// Plain http has to be named (<c>http://</c>).
/// Anything else (not JSON, no <c>hosts</c> object, a key with a path, user or other scheme, a value that is not a
/// string, a header name that is not an HTTP token or that the fetcher itself controls, a value with a line break)
/// makes the whole file ignored with one error line in the log: a half-read credentials file would fail in ways that
/// are harder to see.
/// </remarks>
internal sealed partial class VendorCredentials
{
    private const long MaxFileBytes = 1024 * 1024;

    // Headers the fetcher sets itself (framing, range resume, the target host): a credential must not change them.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Content-Length", "Transfer-Encoding", "TE", "Upgrade", "Expect", "Range", "If-Range",
        "Accept-Encoding", "Proxy-Authorization", "Keep-Alive", "Trailer",
    };

    private readonly Dictionary<string, KeyValuePair<string, string>[]> _byHost;

    public VendorCredentials(IOptions<FetchOptions> options, ILogger<VendorCredentials> logger)
    {
        _byHost = Load(options.Value.CredentialsFile, logger);
    }

    /// <summary>The headers to send with a request to <paramref name="url"/>: those of its scheme, host and port; empty when none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> HeadersFor(Uri target) =>
        _byHost.TryGetValue(ScopeOf(target), out var headers) ? headers : [];

    /// <summary>
    /// "scheme://host:port" of where a request really goes: the host as connected to (<see cref="Uri.IdnHost"/>:
    /// punycode, IPv6 and IPv4 in canonical form, lower case), compared ordinally. Comparing the text as written would
    /// let case folding match hosts that DNS keeps apart (a key with Greek sigma σ matching a URL with ς).
    /// </summary>
    internal static string ScopeOf(Uri uri) =>
        string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}");

    /// <summary>A credentials key as its scope; null when it is not <c>host</c>, <c>host:port</c> or <c>http[s]://host[:port]</c>.</summary>
    internal static string? ParseKey(string key)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '@' or '?' or '#' or '\\' or '*'))
        {
            return null;
        }

        var text = key.Contains("://", StringComparison.Ordinal) ? key : "https://" + key;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https"
            && uri.AbsolutePath == "/"
            && !text.AsSpan(uri.Scheme.Length + 3).TrimEnd('/').Contains('/')
            && uri.Host.Length > 0
            ? ScopeOf(uri)
            : null;
    }


    /// <summary>How many hosts have credentials (for the start-up log and tests, never the values).</summary>
    public int HostCount => _byHost.Count;

    private static Dictionary<string, KeyValuePair<string, string>[]> Load(string? path, ILogger logger)
    {
        var none = new Dictionary<string, KeyValuePair<string, string>[]>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(path))
        {
            return none;
        }

        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                LogNoFile(logger, path);
                return none;
            }

            if (info.Length > MaxFileBytes)
            {
                LogMalformed(logger, path, $"larger than {MaxFileBytes} bytes");
                return none;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogUnreadable(logger, path, e.GetType().Name);
            return none;
        }

        if (TryParse(bytes, out var hosts, out var problem))
        {
            LogLoaded(logger, hosts.Count, path);
            return hosts;
        }

        LogMalformed(logger, path, problem);
        return none;
    }

    /// <summary>Parses the file; <paramref name="problem"/> names the place, never a value.</summary>
    internal static bool TryParse(
        ReadOnlySpan<byte> json,
        out Dictionary<string, KeyValuePair<string, string>[]> hosts,
        out string problem)
    {
        hosts = new(StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(
                json.ToArray(),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            // The exception's message can quote the offending text, which may be part of a secret: position only.
            problem = $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})";
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("hosts", out var hostsElement)
                || hostsElement.ValueKind != JsonValueKind.Object)
            {
                problem = "expected an object with a \"hosts\" object";
                return false;
            }

            foreach (var hostProperty in hostsElement.EnumerateObject())
            {
                var host = hostProperty.Name.Trim();
                if (ParseKey(host) is not { } scope)
                {
                    problem = "a key of \"hosts\" is not host, host:port or http[s]://host[:port]";
                    return false;
                }

                if (hostProperty.Value.ValueKind != JsonValueKind.Object)
                {
                    problem = $"hosts.{host} is not an object of header names to values";
                    return false;
                }

                var headers = new List<KeyValuePair<string, string>>();
                foreach (var header in hostProperty.Value.EnumerateObject())
                {
                    if (!IsToken(header.Name) || ReservedHeaders.Contains(header.Name))
                    {
                        problem = $"hosts.{host} has a header name that is not allowed";
                        return false;
                    }

                    if (header.Value.ValueKind != JsonValueKind.String
                        || header.Value.GetString() is not { } value
                        || value.Any(c => c is '\r' or '\n' or '\0'))
                    {
                        problem = $"hosts.{host}.{header.Name} is not a single-line string";
                        return false;
                    }

                    headers.Add(new(header.Name, value));
                }

                if (!hosts.TryAdd(scope, [.. headers]))
                {
                    problem = $"host {host} is listed twice";
                    return false;
                }
            }
        }

        problem = "";
        return true;
    }

    // RFC 9110 section 5.6.2: a field name is a token.
    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    [LoggerMessage(EventId = 2050, Level = LogLevel.Information, Message = "Vendor credentials loaded for {HostCount} hosts from {Path}")]
    private static partial void LogLoaded(ILogger logger, int hostCount, string path);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Debug, Message = "No vendor credentials file at {Path}")]
    private static partial void LogNoFile(ILogger logger, string path);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Error, Message = "Vendor credentials file {Path} ignored: {Problem}; no credentials are sent")]
    private static partial void LogMalformed(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 2053, Level = LogLevel.Error, Message = "Vendor credentials file {Path} could not be read ({Error}); no credentials are sent")]
    private static partial void LogUnreadable(ILogger logger, string path, string error);
}
