using System.Diagnostics;

namespace WithCache.Shim.Tests.TestSupport;

public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed, int ProcessId);

/// <summary>Runs a real program with an exact argv and environment, and waits for it with a deadline.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="fileName"/>. The environment is the test process's, minus every withcache variable,
    /// plus <paramref name="environment"/> (a null value removes a variable).
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        string? standardInput = null,
        TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name.Contains("WITHCACHE", StringComparison.OrdinalIgnoreCase) || name is "REAL_CURL" or "REAL_WGET"
                || name.EndsWith("_proxy", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_PROXY", StringComparison.Ordinal))
            {
                start.Environment.Remove(name);
            }
        }

        // wget and curl read ~/.wgetrc, ~/.curlrc and ~/.netrc: give them an empty home.
        start.Environment["HOME"] = TempDirectory.Shared("home");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in time");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr, stopwatch.Elapsed, process.Id);
    }
}
