using WithCache.Shim.Planning;
using WithCache.Shim.Tests.TestSupport;
using Xunit.Abstractions;

namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// The real wget 1.21 against a loopback origin: whenever the planner says candidate, wget must have fetched exactly
/// the URL the planner picked (and, rewritten, exactly the fetch URL). A pass-through row only pins the reason; the
/// test output shows what wget did with it.
/// </summary>
public class WgetGroundTruthTests(ITestOutputHelper output)
{
    private const string C = GroundTruth.Candidate;

    [Theory]
    [InlineData(C, "{origin}/x.tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-qO-", "{origin}/x.tgz")]
    [InlineData(C, "-q", "-O", "-", "{origin}/x.tgz")]
    [InlineData(C, "-q", "-O", "out", "--", "{origin}/x.tgz")]
    [InlineData(C, "{origin}/x.tgz", "-q", "-O", "out")]
    [InlineData(C, "-q", "-P", "dir", "{origin}/x.tgz")]
    [InlineData(C, "-q", "-Pdir", "{origin}/x.tgz")]
    [InlineData(C, "-nv", "-c", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-qnv", "-nc", "{origin}/x.tgz")]
    [InlineData(C, "-q", "-nH", "-nd", "-np", "{origin}/dir/x.tgz")]
    [InlineData(C, "-q", "--tries=2", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--tries", "2", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--header=Accept: x", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--header", "Accept: */*", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--header=", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--referer={origin}/ref", "-O", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-q", "--referer", "{origin}/ref", "-O", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-q", "--header=Referer: {origin}/ref", "-O", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-q", "-O", "{origin}/out", "{origin}/artifact.bin")]
    [InlineData(C, "-q", "-P", "{origin}/dir", "{origin}/artifact.bin")]
    [InlineData(C, "-q", "-U", "{origin}/agent", "-O", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-q", "-o", "{origin}/log", "-O", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-q", "--method=GET", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--method", "HEAD", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--spider", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--max-redirect", "3", "--no-check-certificate", "-O", "out", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--backups=1", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--backups", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--restrict-file-names=windows", "{origin}/x.tgz")]
    [InlineData(C, "-q", "--no-iri", "-O", "out", "{origin}/café.tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/a%20b.tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/a b.tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/café.tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/Ünïcödé/файл.tar.gz?v=ü")]
    [InlineData(C, "-q", "-O", "out", "{origin}/x.tgz?sig=a%2Bb&exp=1")]
    [InlineData(C, "-q", "-O", "out", "{origin}/x.tgz?")]
    [InlineData(C, "-q", "-O", "out", "{origin}/x.tgz#frag")]
    [InlineData(C, "-q", "-O", "out", "{origin}/dir/")]
    [InlineData(C, "-q", "-O", "out", "{origin}")]
    [InlineData(C, "-q", "-O", "out", "{origin}/x[1].tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/{a,b}.tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/a|b.tgz")]
    [InlineData(C, "-q", "-O", "out", "{origin}/a%zz.tgz")]
    [InlineData(C, "-q", "-O", "out", "HTTP://{hostport}/X.TGZ")]
    [InlineData("more than one URL", "-q", "--backups", "{origin}/y.tgz", "{origin}/x.tgz")]
    [InlineData("character set", "-q", "--local-encoding=ISO-8859-1", "-O", "out", "{origin}/café.tgz")]
    [InlineData("request body", "-q", "--post-data=a=1", "-O", "out", "{origin}/x.tgz")]
    [InlineData("method POST", "-q", "--method=POST", "-O", "out", "{origin}/x.tgz")]
    [InlineData("client credentials", "-q", "--user=u", "--password=p", "-O", "out", "{origin}/x.tgz")]
    [InlineData("header 'Authorization'", "-q", "--header=Authorization: Bearer t", "-O", "out", "{origin}/x.tgz")]
    [InlineData("header 'Accept;Authorization'", "-q", "--header=Accept;Authorization: t", "-O", "out", "{origin}/x.tgz")]
    [InlineData("wgetrc command", "-q", "-e", "robots=off", "-O", "out", "{origin}/x.tgz")]
    [InlineData("recursion", "-q", "-r", "-l", "1", "-P", "dir", "{origin}/dir/")]
    [InlineData("more than one URL", "-q", "-P", "dir", "{origin}/x", "{origin}/y")]
    [InlineData("URL list", "-q", "-i", "missing.txt")]
    [InlineData("unknown option --url", "-q", "--url={origin}/x.tgz")]
    [InlineData("dot segments", "-q", "-O", "out", "{origin}/a/../x.tgz")]
    [InlineData("credentials in the URL", "-q", "-O", "out", "http://u:p@{hostport}/x.tgz")]
    [InlineData("URL:", "-q", "-O", "out", "{hostport}/x.tgz")]
    [InlineData("unknown option --no-no-verbose", "-q", "--no-no-verbose", "-O", "out", "{origin}/x.tgz")]
    [InlineData("value on a --no- option", "-q", "--no-verbose=off", "-O", "out", "{origin}/x.tgz")]
    public Task RealWget_Argv_FetchesExactlyTheUrlThePlannerPicked(string expectation, params string[] template) =>
        GroundTruth.CheckAsync(ShimBinaries.RealWget, WgetArgvPlanner.Plan, expectation, template, output);
}
