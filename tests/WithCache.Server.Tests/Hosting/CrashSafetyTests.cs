using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using WithCache.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace WithCache.Server.Tests.Hosting;

/// <summary>
/// The cache-host process killed with SIGKILL (and now and then stopped with SIGTERM) at random points while 20
/// fills of varied sizes run: before the origin's headers, mid-body, around the commit. After every restart
/// nothing served may differ from its ETag; at the end every fill has completed, catalog and disk agree one to one,
/// and no temp file remains.
/// </summary>
public sealed partial class CrashSafetyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Files = 20;
    private const int Rounds = 20;
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [SkippableFact]
    public async Task KilledAtRandomPointsDuringTwentyFills_RestartsConsistentAndEveryFillCompletes()
    {
        Skip.If(TestBackends.Shared, "checks the local blob folder and cache.db file by file; on PostgreSQL + S3 the two-host kill test (TwoHostTests) covers a host killed mid-fill");
        var random = new Random(20261126);
        var bodies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < Files; i++)
        {
            // 0 bytes to about 6 MiB; every fourth path on an origin that resumes with Range after a SIGTERM.
            var size = i == 0 ? 0 : (int)((long)i * i * 16_411 % (6 * 1024 * 1024)) + i;
            var path = $"/crash/{i}-{size}.bin";
            var url = _origin.Add(path, TestData.Bytes(size, seed: i));
            _origin.Pace(path, TimeSpan.FromMilliseconds(i % 3 == 0 ? 40 : 8));
            if (i % 4 == 0)
            {
                _origin.SupportRanges(path);
            }

            bodies[url] = TestData.Bytes(size, seed: i);
        }

        var resumedJobs = 0;
        for (var round = 0; round < Rounds; round++)
        {
            await using var server = await ServerProcess.StartAsync(_dir.Path, args: ["--allow-private"]);
            resumedJobs += ResumedJobs(server.Output);
            await AssertServedBytesMatchEtagsAsync(server, bodies, requireAll: false);
            foreach (var url in bodies.Keys)
            {
                // A miss queues a fill; a hit or a fill in progress changes nothing.
                (await server.Client.GetAsync(ServerHost.FetchPath(url), HttpCompletionOption.ResponseHeadersRead)).Dispose();
            }

            await Task.Delay(random.Next(20, 1200));
            if (round % 5 == 4)
            {
                await server.TerminateAsync();
            }
            else
            {
                await server.KillAsync();
            }
        }

        // What a kill between the blob's rename and its catalog row leaves, and a temp file no job names.
        var orphan = TestData.Bytes(4096, seed: 999);
        var orphanHex = Convert.ToHexStringLower(SHA256.HashData(orphan));
        var orphanPath = Path.Combine(_dir.Path, "blobs", "sha256", orphanHex[..2], orphanHex[2..4], orphanHex);
        Directory.CreateDirectory(Path.GetDirectoryName(orphanPath)!); // a blob path always has a parent
        await File.WriteAllBytesAsync(orphanPath, orphan);
        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "tmp", "stray.part"), orphan);

        await using (var last = await ServerProcess.StartAsync(_dir.Path, args: ["--allow-private"]))
        {
            resumedJobs += ResumedJobs(last.Output);
            await AssertServedBytesMatchEtagsAsync(last, bodies, requireAll: true);
            output.WriteLine($"jobs found interrupted at the restarts: {resumedJobs}");
            Assert.True(resumedJobs > 0, "no kill landed while a fill ran: the test did not test anything");
            await last.TerminateAsync();
        }

        AssertCatalogAndDiskAgree(bodies);
    }

    /// <summary>Every artifact the server serves is byte-exact and hashes to its ETag; with requireAll, each is served (waiting for fills).</summary>
    private static async Task AssertServedBytesMatchEtagsAsync(ServerProcess server, Dictionary<string, byte[]> bodies, bool requireAll)
    {
        foreach (var (url, body) in bodies)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                using var response = await server.Client.GetAsync(ServerHost.FetchPath(url));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var served = await response.Content.ReadAsByteArrayAsync();
                    Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(served))}\"", response.Headers.ETag?.Tag);
                    Assert.True(body.AsSpan().SequenceEqual(served), $"{url}: served bytes differ from the origin's");
                    break;
                }

                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                if (!requireAll)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"{url} never completed after the crashes:\n{server.Output}");
                await Task.Delay(100);
            }
        }
    }

    private void AssertCatalogAndDiskAgree(Dictionary<string, byte[]> bodies)
    {
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        var unfinished = 0L;
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "cache.db")};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT digest, size FROM artifacts";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    rows[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')";
                unfinished = (long)command.ExecuteScalar()!; // count(*) is never null
            }
        }

        var blobs = Directory.EnumerateFiles(Path.Combine(_dir.Path, "blobs"), "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetFileName(f), f => f, StringComparer.Ordinal);
        Assert.Equal(bodies.Values.Select(b => Convert.ToHexStringLower(SHA256.HashData(b))).ToHashSet().Order(), rows.Keys.Order());
        Assert.Equal(rows.Keys.Order(), blobs.Keys.Order());
        foreach (var (digest, size) in rows)
        {
            var bytes = File.ReadAllBytes(blobs[digest]);
            Assert.Equal(size, bytes.Length);
            Assert.Equal(digest, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }

        Assert.Equal(0, unfinished);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir.Path, "tmp")));
    }

    private static int ResumedJobs(string log) =>
        ResumedLine().Match(log) is { Success: true } match ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"resumed (\d+) job\(s\)")]
    private static partial Regex ResumedLine();
}
