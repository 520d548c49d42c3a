using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// The built <c>withcache-server</c> as a child process on 127.0.0.1 (port 0, read back from its start-up line), so a
/// test can end it the hard way (SIGKILL) or the polite way (SIGTERM) and start it again over the same data dir.
/// Settings the command line does not take go in as environment variables (<c>Fetch__IdleTimeout</c> and so on).
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _output;

    private ServerProcess(Process process, StringBuilder output, string baseUrl)
    {
        _process = process;
        _output = output;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string BaseUrl { get; }

    public HttpClient Client { get; }

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string>? environment = null, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "withcache-server"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--data-dir", dataDir, "--port", "0", "--bind", "127.0.0.1", .. args])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["WithCache__CounterFlushInterval"] = "00:00:00.100";
        info.Environment["Fetch__IdleTimeout"] = "00:00:02";
        info.Environment["Fetch__RetryBaseDelay"] = "00:00:00.020";
        info.Environment["Fetch__RetryMaxDelay"] = "00:00:00.100";
        info.Environment["Fetch__AllowNetworks__0"] = "127.0.0.1/32";
        if (TestBackends.Shared && !(environment?.ContainsKey("WITHCACHE_CATALOG") ?? false))
        {
            var shared = new Dictionary<string, string?>();
            await TestBackends.ApplyAsync(shared);
            info.Environment["WITHCACHE_CATALOG"] = shared["WithCache:Catalog"];
            info.Environment["WITHCACHE_BLOBS"] = shared["WithCache:Blobs"];
            info.Environment["WithCache__JobLease"] = shared["WithCache:JobLease"];
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var output = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(match.Groups[1].Value);
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("withcache-server exited before listening"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var url = await listening.Task.WaitAsync(StartTimeout);
            return new ServerProcess(process, output, url);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            process.Kill();
            await process.WaitForExitAsync();
            throw new InvalidOperationException("withcache-server did not start:\n" + output, e);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut of the process (the page cache survives).</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, and waits for the graceful shutdown to end.</summary>
    public async Task TerminateAsync()
    {
        await SignalTerminateAsync();
        await WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Sends SIGTERM and returns at once: the server drains responses in flight before it exits.</summary>
    public async Task SignalTerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, "kill -TERM failed");
    }

    /// <summary>Waits for the process to end; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
