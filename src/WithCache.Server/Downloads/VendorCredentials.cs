using System.Text.Json;
using Microsoft.Extensions.Options;

namespace WithCache.Server.Downloads;

/// <summary>
/// Per-host request headers for vendor downloads that need a login (a bearer token, an API key), read once at start
/// from <see cref="FetchOptions.CredentialsFile"/>. The file lives only on the cache-host; the shims never send
/// credentials to it. Values are never logged and never put in a reason.
/// </summary>
/// <remarks>
/// Format (<c>&lt;data-dir&gt;/credentials.json</c>): an object <c>hosts</c> whose keys are host names, matched exactly
/// and case-insensitively against the request host (no port, no wildcards), each mapping header names to values:
/// <code>
/// {
///   "hosts": {
///     "developer.download.nvidia.com": { "Authorization": "Bearer abc" },
///     "repo.example.com": { "X-Api-Key": "k" }
///   }
/// }
/// </code>
/// Anything else (not JSON, no <c>hosts</c> object, a value that is not a string, a header name that is not an HTTP
/// token or that the fetcher itself controls, a value with a line break) makes the whole file ignored with one error
/// line in the log: a half-read credentials file would fail in ways that are harder to see.
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

    /// <summary>The headers to send to <paramref name="host"/> (exact, case-insensitive match); empty when none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> HeadersFor(string host) =>
        _byHost.TryGetValue(host, out var headers) ? headers : [];

    /// <summary>How many hosts have credentials (for the start-up log and tests, never the values).</summary>
    public int HostCount => _byHost.Count;

    private static Dictionary<string, KeyValuePair<string, string>[]> Load(string? path, ILogger logger)
    {
        var none = new Dictionary<string, KeyValuePair<string, string>[]>(StringComparer.OrdinalIgnoreCase);
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
        hosts = new(StringComparer.OrdinalIgnoreCase);
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
                if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '@'))
                {
                    problem = "a host name is empty or not a host name";
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

                if (!hosts.TryAdd(host, [.. headers]))
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
