using WithCache.Shim.Planning;
using WithCache.Shim.Tests.TestSupport;
using Xunit.Abstractions;

namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// The real curl 7.88 against a loopback origin: whenever the planner says candidate, curl must have fetched exactly
/// the URL the planner picked (and, rewritten, exactly the fetch URL). A pass-through row only pins the reason; the
/// test output shows what curl did with it.
/// </summary>
public class CurlGroundTruthTests(ITestOutputHelper output)
{
    private const string C = GroundTruth.Candidate;

    [Theory]
    [InlineData(C, "{origin}/pkg/x.tgz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-fsSLo", "out", "{origin}/x.tgz")]
    [InlineData(C, "-sSLo", "out", "{origin}/dir/x.tgz")]
    [InlineData(C, "-sSfLO", "{origin}/dir/x.tgz")]
    [InlineData(C, "-s", "-oout", "{origin}/x.tgz")]
    [InlineData("no file name", "-s", "-O", "{origin}/dir/")]
    [InlineData("no file name", "-s", "-O", "{origin}")]
    [InlineData(C, "-s", "-e", "{origin}/ref", "-o", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-s", "--referer", "{origin}/ref", "-o", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-se{origin}/ref", "-o", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-s", "-e", "{origin}/ref;auto", "-L", "-o", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-s", "-o", "{origin}/out", "{origin}/artifact.bin")]
    [InlineData(C, "-s", "-A", "{origin}/agent", "-o", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-s", "-D", "{origin}/headers", "-o", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-s", "-H", "Referer: {origin}/ref", "-o", "out", "{origin}/artifact.bin")]
    [InlineData(C, "-s", "-o", "out", "--", "{origin}/x.tgz")]
    [InlineData(C, "{origin}/x.tgz", "-s", "-o", "out")]
    [InlineData(C, "-s", "-o", "out", "--url", "{origin}/x.tgz")]
    [InlineData(C, "-s", "--url", "{origin}/x.tgz", "-o", "out")]
    [InlineData(C, "-sG", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-sI", "{origin}/x.tgz")]
    [InlineData(C, "-s", "--head", "{origin}/x.tgz")]
    [InlineData(C, "-s", "-X", "GET", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-s", "-H", "Accept: application/octet-stream", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-s", "-H", "Accept;", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-s", "-r", "0-3", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-s", "--compressed", "-w", "%{http_code}", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-s", "--no-progress-meter", "--no-buffer", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-s", "--noproxy", "*", "-o", "out", "{origin}/x.tgz")]
    [InlineData(C, "-s", "--create-dirs", "--output-dir", "dl", "-O", "{origin}/x.tgz")]
    [InlineData(C, "-s", "-g", "-o", "out", "{origin}/x[1].tgz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/a%20b.tgz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/café.tgz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/caf%C3%A9.tgz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/Ünïcödé/файл.tar.gz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/x.tgz?sig=a%2Bb&exp=1")]
    [InlineData(C, "-s", "-o", "out", "{origin}/x.tgz?")]
    [InlineData(C, "-s", "-o", "out", "{origin}/x.tgz#sha256=abc")]
    [InlineData(C, "-s", "-o", "out", "{origin}/dir/")]
    [InlineData(C, "-s", "-o", "out", "{origin}")]
    [InlineData(C, "-s", "-o", "out", "{origin}?x=1")]
    [InlineData(C, "-s", "-o", "out", "{origin}//double//slash.tgz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/a/.hidden")]
    [InlineData(C, "-s", "-o", "out", "{origin}/a%2Fb.tgz")]
    [InlineData(C, "-s", "-o", "out", "{origin}/a%zz.tgz")]
    [InlineData(C, "-s", "-o", "out", "HTTP://{hostport}/X.TGZ")]
    [InlineData("URL globbing", "-s", "-o", "out#1", "{origin}/x[1-2].tgz")]
    [InlineData("URL globbing", "-s", "-o", "out#1", "{origin}/{a,b}.tgz")]
    [InlineData("URL globbing", "-s", "--globoff", "--no-globoff", "-o", "out#1", "{origin}/x[1-2].tgz")]
    [InlineData("proxy", "-s", "-x", "http://{closed}", "-o", "out", "{origin}/x.tgz")]
    [InlineData("proxy", "-s", "--preproxy", "socks5://{closed}", "-o", "out", "{origin}/x.tgz")]
    [InlineData("request body", "-s", "-d", "a=1", "-o", "out", "{origin}/x.tgz")]
    [InlineData("request body", "-sG", "-d", "a=1", "-o", "out", "{origin}/x.tgz")]
    [InlineData("method POST", "-s", "-X", "POST", "-o", "out", "{origin}/x.tgz")]
    [InlineData("client credentials", "-s", "-u", "user:pw", "-o", "out", "{origin}/x.tgz")]
    [InlineData("client credentials", "-s", "-n", "-o", "out", "{origin}/x.tgz")]
    [InlineData("header 'Authorization'", "-s", "-H", "Authorization: Bearer t", "-o", "out", "{origin}/x.tgz")]
    [InlineData("header 'Accept;Authorization'", "-s", "-H", "Accept;Authorization: Bearer t", "-o", "out", "{origin}/x.tgz")]
    [InlineData("more than one URL", "-s", "-o", "a", "{origin}/x", "-o", "b", "{origin}/y")]
    [InlineData("more than one URL", "-s", "-o", "out", "--url", "{origin}/x", "{origin}/y")]
    [InlineData("curl has no --option=value form", "-s", "--output=out", "{origin}/x.tgz")]
    [InlineData("dot segments", "-s", "-o", "out", "{origin}/a/../x.tgz")]
    [InlineData("space in the URL", "-s", "-o", "out", "{origin}/a b.tgz")]
    [InlineData("credentials in the URL", "-s", "-o", "out", "http://u:p@{hostport}/x.tgz")]
    [InlineData("URL:", "-s", "-o", "out", "{hostport}/x.tgz")]
    [InlineData("URL:", "-s", "-o", "out", "ftp://{closed}/x.tgz")]
    [InlineData("config file", "-s", "-K", "missing.cfg", "{origin}/x.tgz")]
    [InlineData("unknown option --no-no-buffer", "-s", "--no-no-buffer", "-o", "out", "{origin}/x.tgz")]
    [InlineData("unknown option --no-http2", "-s", "--no-http2", "-o", "out", "{origin}/x.tgz")]
    public Task RealCurl_Argv_FetchesExactlyTheUrlThePlannerPicked(string expectation, params string[] template) =>
        GroundTruth.CheckAsync(ShimBinaries.RealCurl, CurlArgvPlanner.Plan, expectation, template, output);
}
