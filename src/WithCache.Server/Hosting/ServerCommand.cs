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
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Folder for blobs, cache.db and keys (env WITHCACHE_DATA_DIR)",
            HelpName = "DIR",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WITHCACHE_DATA_DIR") is { Length: > 0 } v ? v : "data",
        };
        var port = new Option<int>("--port")
        {
            Description = "TCP port to listen on (env WITHCACHE_PORT)",
            CustomParser = r => ParseInt(r, r.Tokens[0].Value, "--port", 0, 65535, 3000),
            DefaultValueFactory = r => ParseInt(r, Environment.GetEnvironmentVariable("WITHCACHE_PORT"), "WITHCACHE_PORT", 0, 65535, 3000),
        };
        var bind = new Option<string>("--bind")
        {
            Description = "Address to listen on; * = all interfaces (env WITHCACHE_BIND)",
            HelpName = "ADDR",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WITHCACHE_BIND") is { Length: > 0 } v ? v : "*",
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
            DefaultValueFactory = r => ParseInt(r, Environment.GetEnvironmentVariable("WITHCACHE_WORKERS"), "WITHCACHE_WORKERS", 1, 64, 4),
        };
        var curate = new Option<bool>("--curate")
        {
            Description = "Do not fetch misses on their own; an operator approves them (env WITHCACHE_CURATE=1)",
            DefaultValueFactory = _ => IsTrue("WITHCACHE_CURATE"),
        };
        var maxBytes = new Option<long?>("--max-bytes")
        {
            Description = "Cap on stored bytes, e.g. 500M, 50G, 1T (env WITHCACHE_MAX_BYTES); default: no cap",
            HelpName = "SIZE",
            CustomParser = r => ParseSize(r, r.Tokens.Count > 0 ? r.Tokens[0].Value : null),
            DefaultValueFactory = r => ParseSize(r, Environment.GetEnvironmentVariable("WITHCACHE_MAX_BYTES")),
        };
        var keepQuery = new Option<bool>("--keep-query")
        {
            Description = "Make the query string part of the cache key (env WITHCACHE_KEEP_QUERY=1)",
            DefaultValueFactory = _ => IsTrue("WITHCACHE_KEEP_QUERY"),
        };
        var allowPrivate = new Option<bool>("--allow-private")
        {
            Description = "Allow fills from loopback, private and link-local addresses, e.g. a lab mirror (env WITHCACHE_ALLOW_PRIVATE=1)",
            DefaultValueFactory = _ => IsTrue("WITHCACHE_ALLOW_PRIVATE"),
        };
        var allowHost = new Option<string[]>("--allow-host")
        {
            Description = "Only fetch from hosts matching this glob, e.g. *.nvidia.com; repeatable (env WITHCACHE_ALLOW_HOSTS, comma-separated)",
            HelpName = "GLOB",
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => (Environment.GetEnvironmentVariable("WITHCACHE_ALLOW_HOSTS") ?? "")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };

        var root = new RootCommand("withcache-server: the withcache cache-host. Keeps one copy of each HTTP artifact the lab asks for and serves it to the curl/wget shims.")
        {
            dataDir, port, bind, workers, curate, maxBytes, keepQuery, allowPrivate, allowHost,
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
                ["Fetch:AllowPrivate"] = result.GetValue(allowPrivate) ? "true" : "false",
            };
            // Secrets come only from the environment, never from a flag (a flag shows in ps and shell history).
            settings["Ui:AdminPassword"] = Environment.GetEnvironmentVariable("WITHCACHE_ADMIN_PASSWORD");
            settings["Ui:SessionSecret"] = Environment.GetEnvironmentVariable("WITHCACHE_SESSION_SECRET");
            settings["Metrics:Token"] = Environment.GetEnvironmentVariable("WITHCACHE_METRICS_TOKEN");
            var hosts = result.GetValue(allowHost) ?? [];
            for (var i = 0; i < hosts.Length; i++)
            {
                settings[$"Fetch:AllowHosts:{i}"] = hosts[i];
            }

            // The host handles SIGTERM/SIGINT itself (graceful drain for up to its shutdown timeout).
            await using var app = ServerApp.Build(settings);
            await app.RunAsync();
            return 0;
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

    private static bool IsTrue(string variable) =>
        Environment.GetEnvironmentVariable(variable)?.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES" or "ON";
}
