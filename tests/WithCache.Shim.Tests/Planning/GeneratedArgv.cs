namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// A generated argv (without the program name) and, word by word, whether the tool reads that word as a URL to
/// fetch: a word that is neither an option nor an option's value, every word after <c>--</c>, and the value of
/// curl's <c>--url</c>. Option names and whether they take a value come from the generated option tables.
/// </summary>
internal sealed record GeneratedArgv(string[] Args, bool[] ReadAsUrl)
{
    public override string ToString() => PlanningCorpus.Display(Args);
}
