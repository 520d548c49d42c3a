using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace WithCache.Server.Hosting;

/// <summary>
/// The <c>withcache-server</c> command line. Every flag also reads an environment variable (the flag wins) and
/// lands in configuration, where <see cref="ServerOptions"/> and the fetch options are bound from.
/// Bad values end with a message and exit code 2.
/// </summary>
internal static class ServerCommand
{
    // The range ServerOptions.MaxEvents validates, so a bad value is refused here with a message instead of at start-up.
    private const int MinEvents = 100;
    private const int MaxEvents = 10_000_000;
    private const int DefaultEvents = 10_000;
    private const int DefaultAutoFills = 120;

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Environment.GetEnvironmentVariable, RunServerAsync);

    /// <summary>
    /// Parses <paramref name="args"/> and <paramref name="environment"/> and hands the settings to <paramref name="run"/>:
    /// the tests' seam, so they can read what a flag or a variable maps to without starting a server or touching the
    /// process environment.
    /// </summary>
    internal static async Task<int> RunAsync(string[] args, Func<string, string?> environment, Func<Dictionary<string, string?>, Task<int>> run)
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Folder for blobs, cache.db and keys (env WITHCACHE_DATA_DIR)",
            HelpName = "DIR",
            DefaultValueFactory = _ => environment("WITHCACHE_DATA_DIR") is { Length: > 0 } v ? v : "data",
        };
        var port = new Option<int>("--port")
        {
            Description = "TCP port to listen on (env WITHCACHE_PORT)",
            CustomParser = r => ParseInt(r, r.Tokens[0].Value, "--port", 0, 65535, 3000),
            DefaultValueFactory = r => ParseInt(r, environment("WITHCACHE_PORT"), "WITHCACHE_PORT", 0, 65535, 3000),
        };
        var bind = new Option<string>("--bind")
        {
            Description = "Address to listen on; * = all interfaces (env WITHCACHE_BIND)",
            HelpName = "ADDR",
            DefaultValueFactory = _ => environment("WITHCACHE_BIND") is { Length: > 0 } v ? v : "*",
        };
        bind.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>();
            if (value != "*" && !IPAddress.TryParse(value, out _))
            {
                r.AddError($"--bind takes an IP address or *, not '{value}'");
            }
        });
        var workers = new Option<int>("--workers")
        {
            Description = "Parallel downloads (env WITHCACHE_WORKERS)",
            HelpName = "N",
            CustomParser = r => ParseInt(r, r.Tokens[0].Value, "--workers", 1, 64, 4),
            DefaultValueFactory = r => ParseInt(r, environment("WITHCACHE_WORKERS"), "WITHCACHE_WORKERS", 1, 64, 4),
        };
        var curate = new Option<bool>("--curate")
        {
            Description = "Do not fetch misses on their own; an operator approves them (env WITHCACHE_CURATE=1)",
            DefaultValueFactory = _ => IsTrue(environment, "WITHCACHE_CURATE"),
        };
        var maxBytes = new Option<long?>("--max-bytes")
        {
            Description = "Cap on stored bytes, e.g. 500M, 50G, 1T (env WITHCACHE_MAX_BYTES); default: no cap",
            HelpName = "SIZE",
            CustomParser = r => ParseSize(r, r.Tokens.Count > 0 ? r.Tokens[0].Value : null),
            DefaultValueFactory = r => ParseSize(r, environment("WITHCACHE_MAX_BYTES")),
        };
        var keepQuery = new Option<bool>("--keep-query")
        {
            Description = "Make the query string part of the cache key (env WITHCACHE_KEEP_QUERY=1)",
            DefaultValueFactory = _ => IsTrue(environment, "WITHCACHE_KEEP_QUERY"),
        };
        var allowPrivate = new Option<bool>("--allow-private")
        {
            Description = "Allow fills from loopback, private and link-local addresses, e.g. a lab mirror (env WITHCACHE_ALLOW_PRIVATE=1)",
            DefaultValueFactory = _ => IsTrue(environment, "WITHCACHE_ALLOW_PRIVATE"),
        };
        var maxEvents = new Option<int>("--max-events")
        {
            Description = "How many audit events the Events page keeps; the oldest are dropped beyond it (env WITHCACHE_MAX_EVENTS)",
            HelpName = "N",
            CustomParser = r => ParseInt(r, r.Tokens[0].Value, "--max-events", MinEvents, MaxEvents, DefaultEvents),
            DefaultValueFactory = r => ParseInt(r, environment("WITHCACHE_MAX_EVENTS"), "WITHCACHE_MAX_EVENTS", MinEvents, MaxEvents, DefaultEvents),
        };
        var autoFills = new Option<int>("--auto-fills-per-minute")
        {
            Description = "New fills the misses of one client address may start per minute; 0 = no limit (env WITHCACHE_AUTO_FILLS_PER_MINUTE)",
            HelpName = "N",
            CustomParser = r => ParseInt(r, r.Tokens[0].Value, "--auto-fills-per-minute", 0, 1_000_000, DefaultAutoFills),
            DefaultValueFactory = r => ParseInt(r, environment("WITHCACHE_AUTO_FILLS_PER_MINUTE"), "WITHCACHE_AUTO_FILLS_PER_MINUTE", 0, 1_000_000, DefaultAutoFills),
        };
        var allowHost = new Option<string[]>("--allow-host")
        {
            Description = "Only fetch from hosts matching this glob, e.g. *.nvidia.com; repeatable (env WITHCACHE_ALLOW_HOSTS, comma-separated)",
            HelpName = "GLOB",
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => (environment("WITHCACHE_ALLOW_HOSTS") ?? "")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };

        var catalog = new Option<string?>("--catalog")
        {
            Description = "Shared catalog: postgres://user[:password]@host:port/database or an Npgsql connection string (env WITHCACHE_CATALOG); default: SQLite in the data dir",
            HelpName = "URL",
            DefaultValueFactory = _ => environment("WITHCACHE_CATALOG") is { Length: > 0 } v ? v : null,
        };
        catalog.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { Length: > 0 } value && Catalog.CatalogLocation.Validate(value) is { } problem)
            {
                r.AddError("--catalog: " + problem);
            }
        });
        var blobs = new Option<string?>("--blobs")
        {
            Description = "Shared blob store: s3://bucket/prefix, endpoint and keys from the AWS_* environment (env WITHCACHE_BLOBS); default: the data dir",
            HelpName = "URL",
            DefaultValueFactory = _ => environment("WITHCACHE_BLOBS") is { Length: > 0 } v ? v : null,
        };
        blobs.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { Length: > 0 } value && !Blobs.S3Location.TryParse(value, out _, out var problem))
            {
                r.AddError("--blobs: " + problem);
            }
        });
        var s3Redirect = new Option<bool>("--s3-redirect")
        {
            Description = "Answer hits on an S3 store with a redirect to a short-lived presigned URL (env WITHCACHE_S3_REDIRECT=1)",
            DefaultValueFactory = _ => IsTrue(environment, "WITHCACHE_S3_REDIRECT"),
        };

        var hostId = new Option<string?>("--host-id")
        {
            Description = "This host's name in a shared catalog's job leases (env WITHCACHE_HOST_ID); default: machine name and port",
            HelpName = "NAME",
            DefaultValueFactory = _ => environment("WITHCACHE_HOST_ID") is { Length: > 0 } v ? v : null,
        };

        var root = new RootCommand("withcache-server: the withcache cache-host. Keeps one copy of each HTTP artifact the lab asks for and serves it to the curl/wget shims.")
        {
            dataDir, port, bind, workers, curate, maxBytes, keepQuery, maxEvents, autoFills, allowPrivate, allowHost,
            catalog, blobs, s3Redirect, hostId,
        };
        root.SetAction(async (result, _) =>
        {
            var settings = new Dictionary<string, string?>
            {
                [$"{ServerOptions.Section}:DataDir"] = result.GetValue(dataDir),
                [$"{ServerOptions.Section}:Port"] = result.GetValue(port).ToString(CultureInfo.InvariantCulture),
                [$"{ServerOptions.Section}:Bind"] = result.GetValue(bind),
                [$"{ServerOptions.Section}:Workers"] = result.GetValue(workers).ToString(CultureInfo.InvariantCulture),
                [$"{ServerOptions.Section}:Curate"] = result.GetValue(curate) ? "true" : "false",
                [$"{ServerOptions.Section}:MaxBytes"] = result.GetValue(maxBytes)?.ToString(CultureInfo.InvariantCulture),
                [$"{ServerOptions.Section}:KeepQuery"] = result.GetValue(keepQuery) ? "true" : "false",
                [$"{ServerOptions.Section}:MaxEvents"] = result.GetValue(maxEvents).ToString(CultureInfo.InvariantCulture),
                [$"{ServerOptions.Section}:AutoFillsPerMinute"] = result.GetValue(autoFills).ToString(CultureInfo.InvariantCulture),
                [$"{ServerOptions.Section}:Catalog"] = result.GetValue(catalog),
                [$"{ServerOptions.Section}:Blobs"] = result.GetValue(blobs),
                [$"{ServerOptions.Section}:S3Redirect"] = result.GetValue(s3Redirect) ? "true" : "false",
                [$"{ServerOptions.Section}:HostId"] = result.GetValue(hostId),
                ["Fetch:AllowPrivate"] = result.GetValue(allowPrivate) ? "true" : "false",
            };
            // Secrets come only from the environment, never from a flag (a flag shows in ps and shell history).
            settings["Ui:AdminPassword"] = environment("WITHCACHE_ADMIN_PASSWORD");
            settings["Ui:SessionSecret"] = environment("WITHCACHE_SESSION_SECRET");
            settings["Api:Token"] = environment("WITHCACHE_API_TOKEN") is { Length: > 0 } apiToken ? apiToken : null;
            settings["Metrics:Token"] = environment("WITHCACHE_METRICS_TOKEN") is { Length: > 0 } metricsToken ? metricsToken : null;
            var hosts = result.GetValue(allowHost) ?? [];
            for (var i = 0; i < hosts.Length; i++)
            {
                settings[$"Fetch:AllowHosts:{i}"] = hosts[i];
            }

            return await run(settings);
        });

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync("withcache-server: " + error.Message);
            }

            await Console.Error.WriteLineAsync("Try 'withcache-server --help'.");
            return 2;
        }

        // No termination handling by System.CommandLine: it would end the process about 2 s after SIGTERM, cutting
        // responses in flight that the host is still draining.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static async Task<int> RunServerAsync(Dictionary<string, string?> settings)
    {
        // The host handles SIGTERM/SIGINT itself (graceful drain for up to its shutdown timeout).
        await using var app = ServerApp.Build(settings);
        await app.RunAsync();
        return 0;
    }

    private static long? ParseSize(ArgumentResult result, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (ByteSize.TryParse(text, out var bytes))
        {
            return bytes;
        }

        result.AddError($"--max-bytes takes a size like 500M, 50G, 1T or a number of bytes, not '{text}'");
        return null;
    }

    private static int ParseInt(ArgumentResult result, string? text, string name, int min, int max, int fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{name} takes a whole number from {min} to {max}, not '{text}'");
        return fallback;
    }

    private static bool IsTrue(Func<string, string?> environment, string variable) =>
        environment(variable)?.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES" or "ON";
}
