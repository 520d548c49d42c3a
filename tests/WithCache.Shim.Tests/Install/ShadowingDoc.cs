namespace WithCache.Shim.Tests.Install;

/// <summary>The shell blocks of the README, so tests run the recipes exactly as the docs show them.</summary>
public static class ShadowingDoc
{
    /// <summary>The cache-host address the docs write; tests put their loopback cache in its place.</summary>
    public const string ServerPlaceholder = "cache-host:3000";

    /// <summary>
    /// The fenced <c>sh</c> blocks of the <c>###</c> section whose heading contains <paramref name="heading"/>, in order;
    /// with <paramref name="server"/>, each has <see cref="ServerPlaceholder"/> replaced by it.
    /// </summary>
    public static IReadOnlyList<string> Blocks(string heading, string? server = null)
    {
        var lines = File.ReadAllLines(Path.Combine(InstallScript.RepoRoot, "README.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith("### ", StringComparison.Ordinal) && l.Contains(heading, StringComparison.Ordinal));
        if (start < 0)
        {
            throw new InvalidOperationException($"the README has no '### ...{heading}...' section");
        }

        var blocks = new List<string>();
        List<string>? block = null;
        for (var i = start + 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (block is null)
            {
                if (line.StartsWith('#'))
                {
                    break; // the next section
                }

                if (line == "```sh")
                {
                    block = [];
                }
            }
            else if (line == "```")
            {
                blocks.Add(string.Join('\n', block) + "\n");
                block = null;
            }
            else
            {
                block.Add(line);
            }
        }

        return server is null ? blocks : [.. blocks.Select(b => b.Replace(ServerPlaceholder, server, StringComparison.Ordinal))];
    }
}
