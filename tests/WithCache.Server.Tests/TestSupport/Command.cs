using System.Diagnostics;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>Runs a program to its end (at most 5 minutes): its exit code and what it wrote, stdout then stderr.</summary>
public static class Command
{
    /// <summary>A program that cannot be started (not installed) ends with exit code -1 and the reason as its output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, params string[] args)
    {
        var start = new ProcessStartInfo(fileName, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!; // not null: no shell, so a process or an exception
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
