namespace WithCache.Shim.Planning;

/// <summary>Short options as both tools read them (getopt style): <c>-fsSLo out</c>, <c>-o/tmp/x</c>, <c>-qO-</c>.</summary>
internal static class ShortOptionCluster
{
    /// <summary>
    /// Reads the cluster at <paramref name="index"/>: letters until one that takes a value, whose value is the rest
    /// of the word or else the next word (then <paramref name="index"/> moves past it). Returns the first refusal
    /// from <paramref name="apply"/> or the reader, or null.
    /// </summary>
    public static string? Read(
        IReadOnlyList<string> args, ref int index, Func<char, ToolOption?> find, Func<ToolOption, string?, string?> apply)
    {
        var word = args[index];
        for (var j = 1; j < word.Length; j++)
        {
            if (find(word[j]) is not { } option)
            {
                return $"unknown option -{word[j]}";
            }

            if (!option.TakesValue)
            {
                if (apply(option, null) is { } refusal)
                {
                    return refusal;
                }

                continue;
            }

            string value;
            if (j + 1 < word.Length)
            {
                value = word[(j + 1)..];
            }
            else if (index + 1 < args.Count)
            {
                value = args[++index];
            }
            else
            {
                return $"-{word[j]} has no value";
            }

            return apply(option, value);
        }

        return null;
    }
}
