using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

public class WgetCorpusTests
{
    private const string CorpusFile = "wget.jsonl";

    public static TheoryData<int, string> Rows => PlanningCorpus.Rows(CorpusFile);

    [Theory]
    [MemberData(nameof(Rows))]
    public void Plan_CorpusRow_MatchesExpectedOutcomeAndRewrite(int line, string argv)
    {
        var row = PlanningCorpus.Row(CorpusFile, line);
        Assert.Equal(PlanningCorpus.Display(row.Argv), argv);

        PlanningCorpus.AssertPlan(row, WgetArgvPlanner.Plan(row.Argv));
    }

    [Fact]
    public void Corpus_RowCount_IsAtLeast100()
    {
        Assert.True(PlanningCorpus.Read(CorpusFile).Count >= 100, "wget.jsonl needs at least 100 rows");
    }
}
