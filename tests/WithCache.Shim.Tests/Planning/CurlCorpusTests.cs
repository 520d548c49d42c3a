using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

public class CurlCorpusTests
{
    private const string CorpusFile = "curl.jsonl";

    public static TheoryData<int, string> Rows => PlanningCorpus.Rows(CorpusFile);

    [Theory]
    [MemberData(nameof(Rows))]
    public void Plan_CorpusRow_MatchesExpectedOutcomeAndRewrite(int line, string argv)
    {
        var row = PlanningCorpus.Row(CorpusFile, line);
        Assert.Equal(PlanningCorpus.Display(row.Argv), argv);

        PlanningCorpus.AssertPlan(row, CurlArgvPlanner.Plan(row.Argv));
    }

    [Fact]
    public void Corpus_RowCount_IsAtLeast150()
    {
        Assert.True(PlanningCorpus.Read(CorpusFile).Count >= 150, "curl.jsonl needs at least 150 rows");
    }
}
