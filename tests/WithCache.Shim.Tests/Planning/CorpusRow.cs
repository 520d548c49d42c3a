namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// One line of a planner corpus: the argv (without the program name) and what the planner must make of it. For a
/// candidate, <see cref="Rewritten"/> holds exactly one <c>{fetch}</c> word standing for the fetch URL of the origin
/// written at that position in <see cref="Argv"/>; for a pass-through, <see cref="Reason"/> is a substring of the
/// plan's reason.
/// </summary>
public sealed record CorpusRow(int Line, string[] Argv, bool IsCandidate, string? Reason, string[]? Rewritten)
{
    public const string FetchPlaceholder = "{fetch}";
}
