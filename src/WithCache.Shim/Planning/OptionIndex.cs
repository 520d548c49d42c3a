namespace WithCache.Shim.Planning;

/// <summary>Looks options up by short letter or exact long name. Abbreviated long options count as unknown.</summary>
internal sealed class OptionIndex
{
    private readonly Dictionary<string, ToolOption> _byLong = new(StringComparer.Ordinal);
    private readonly Dictionary<char, ToolOption> _byShort = [];

    public OptionIndex(ToolOption[] options)
    {
        foreach (var option in options)
        {
            _byLong[option.Long] = option;
            if (option.Short is { } letter)
            {
                _byShort[letter] = option;
            }
        }
    }

    public ToolOption? FindLong(string name) => _byLong.GetValueOrDefault(name);

    public ToolOption? FindShort(char letter) => _byShort.GetValueOrDefault(letter);

    /// <summary>
    /// Both tools accept <c>--no-NAME</c> for a boolean option NAME. Returns the boolean it negates, or null.
    /// Neither negates a name that already reads <c>no-…</c>: curl 7.88 calls <c>--no-no-buffer</c> unknown and
    /// wget 1.21 <c>--no-no-verbose</c> unrecognized.
    /// </summary>
    public ToolOption? FindNegated(string name) =>
        name.StartsWith("no-", StringComparison.Ordinal) && !name.StartsWith("no-no-", StringComparison.Ordinal)
            && FindLong(name[3..]) is { TakesValue: false } option
            ? option
            : null;
}
