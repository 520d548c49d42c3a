using System.Text;
using System.Text.Json;
using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.EndToEnd;

/// <summary>
/// The NativeAOT binary and the managed build (<c>dotnet withcache-shim.dll</c>) plan the same corpus through
/// <c>withcache-shim plan</c> and must print the same decisions and rewritten argvs, byte for byte.
/// </summary>
[Trait("Category", "Aot")]
public sealed class AotManagedParityTests
{
    private const char Separator = '\u001f';
    private const string Server = "http://cache.test:3000";

    [Theory]
    [InlineData("curl")]
    [InlineData("wget")]
    public async Task Plan_CorpusPlusNoise_AotAndManagedAgree(string tool)
    {
        var argvs = CorpusArgvs(tool).Concat(NoiseArgvs(tool)).ToList();
        Assert.True(argvs.Count >= 300, $"only {argvs.Count} argvs");
        var input = new StringBuilder();
        foreach (var argv in argvs)
        {
            input.Append(string.Join(Separator, argv)).Append('\n');
        }

        var aot = await ProcessRunner.RunAsync(ShimBinaries.AotPath, ["plan", tool, Server], standardInput: input.ToString());
        var managed = await ProcessRunner.RunAsync("dotnet", [ShimBinaries.ManagedDllPath, "plan", tool, Server], standardInput: input.ToString());

        Assert.Equal(0, aot.ExitCode);
        Assert.Equal(0, managed.ExitCode);
        var aotLines = aot.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var managedLines = managed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(argvs.Count, aotLines.Length);
        Assert.Equal(managedLines, aotLines);
        Assert.Contains(aotLines, l => l.StartsWith("candidate" + Separator, StringComparison.Ordinal));
        Assert.Contains(aotLines, l => l.StartsWith("pass-through" + Separator, StringComparison.Ordinal));
    }

    private static IEnumerable<string[]> CorpusArgvs(string tool)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Planning", "Corpus", tool + ".jsonl");
        foreach (var line in File.ReadLines(path))
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }

            using var row = JsonDocument.Parse(line);
            yield return [.. row.RootElement.GetProperty("argv").EnumerateArray().Select(e => e.GetString() ?? "")];
        }
    }

    // Random recombinations of option-like and URL-like words: the two builds must agree on garbage too.
    private static IEnumerable<string[]> NoiseArgvs(string tool)
    {
        string[] words = tool == "curl"
            ? ["-f", "-s", "-S", "-L", "-O", "-o", "out", "-x", "-H", "Accept: */*", "--url", "--", "-fsSLo", "-g", "--no-globoff", "-X", "GET", "--data", "-", "-u", "x:y", "--unknown", "http://h/a[1-2]", "https://h/f.bin", "https://h/g?q=1", "ftp://h/x", "h/x", "-#", "-:", "--output-dir", "-J", "é", "--retry", "3"]
            : ["-q", "-O", "out", "-P", "dir", "-nv", "-nc", "-nx", "--header=Accept: x", "--header", "Cookie: a", "--", "-e", "robots=off", "--tries=2", "--user=u", "-r", "https://h/f.bin", "http://h/g?q=1", "ftp://h/x", "h/x", "--quiet=off", "--no-check-certificate", "-c", "--method=POST", "-qO-", "ä", "--url=http://h/x"];
        var random = new Random(20261126);
        for (var i = 0; i < 200; i++)
        {
            yield return [.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => words[random.Next(words.Length)])];
        }
    }
}
