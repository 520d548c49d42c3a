using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.AspNetCore.Http;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace WithCache.Server.Tests.ReadPath;

/// <summary>
/// The cache-host with <c>--blobs s3://…</c> against a real S3 server (Ceph radosgw from ci/services/ceph-rgw-up.sh)
/// named by the standard AWS variables; skipped when AWS_ENDPOINT_URL_S3 is unset. The class owns one bucket; each
/// test uses a key prefix of its own in it.
/// </summary>
public sealed class S3ReadPathTests : IAsyncLifetime
{
    private const string SkipReason = TestBackends.S3SkipReason;

    private static readonly bool HasEndpoint = TestBackends.HasS3Endpoint;

    private readonly ITestOutputHelper _output;
    private readonly string _prefix = $"t-{Guid.NewGuid():N}/";
    private readonly List<TempDir> _dirs = [];
    private readonly List<ServerHost> _servers = [];
    private ArtifactOrigin _origin = null!;
    private S3TestBucket? _bucket;

    public S3ReadPathTests(ITestOutputHelper output) => _output = output;

    private S3TestBucket Bucket => _bucket ?? throw new InvalidOperationException("no S3 endpoint");

    private IAmazonS3 Client => Bucket.Client;

    public async Task InitializeAsync()
    {
        _origin = await ArtifactOrigin.StartAsync();
        if (HasEndpoint)
        {
            _bucket = await S3TestBucket.CreateAsync("withcache-rp-");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        await _origin.DisposeAsync();
        foreach (var dir in _dirs)
        {
            dir.Dispose();
        }

        if (_bucket is not null)
        {
            await _bucket.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Fill_ThenHit_StreamsFromTheStoreByteExactAndWritesNothingUnderTheDataDir()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync();
        using var created = WatchDataDir(server, out var seen);

        // Two full parts and a short one: the fill is a real multipart upload.
        var body = TestData.Bytes((2 * S3Upload.PartBytes) + 123_457);
        var origin = _origin.Add("/s3/big.bin", body);
        await server.MissAsync(origin);
        using var hit = await server.WaitForHitAsync(origin, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{TestData.Sha256Hex(body)}\"", hit.Headers.ETag!.Tag);
        Assert.Equal("hit", hit.Headers.GetValues("X-WithCache").Single());
        Assert.Equal(body.Length, hit.Content.Headers.ContentLength);
        Assert.Equal([_prefix + KeyTail(TestData.Sha256Hex(body))], await Bucket.ListKeysAsync(_prefix));
        Assert.Empty(await Bucket.ListUploadsAsync(_prefix));
        Assert.Empty(server.TempFiles());
        Assert.Equal([_prefix + KeyTail(TestData.Sha256Hex(body))], server.BlobFiles());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.DataDir, "tmp")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.DataDir, "blobs"), "*", SearchOption.AllDirectories));
        // The catalog and the operator's key files live in the data dir; no byte of an artifact does.
        Assert.DoesNotContain(seen, path => path.StartsWith(Path.Combine(server.DataDir, "tmp"), StringComparison.Ordinal)
                                            || path.StartsWith(Path.Combine(server.DataDir, "blobs"), StringComparison.Ordinal));
        _output.WriteLine("created under the data dir: " + string.Join(", ", seen));
    }

    [SkippableFact]
    public async Task Head_OnHit_200WithTheHitHeaders_AndAMissingObjectIsServedAsAMiss()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync();
        var body = TestData.Bytes(5000, seed: 2);
        var origin = _origin.Add("/s3/head.bin", body);
        (await server.WaitForHitAsync(origin)).Dispose();

        using (var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin))))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(5000, head.Content.Headers.ContentLength);
            Assert.Equal($"\"{TestData.Sha256Hex(body)}\"", head.Headers.ETag!.Tag);
            Assert.Equal("bytes", head.Headers.AcceptRanges.Single());
            Assert.NotNull(head.Content.Headers.LastModified);
            Assert.Equal("hit", head.Headers.GetValues("X-WithCache").Single());
            Assert.False(head.Headers.Contains("X-WithCache-Redirect")); // streamed: the shims add nothing to the command
            Assert.Single(head.Headers.GetValues("Repr-Digest"));
            Assert.Single(head.Headers.GetValues("Digest"));
            Assert.Equal("public, max-age=31536000, immutable", head.Headers.CacheControl!.ToString());
        }

        await Client.DeleteObjectAsync(Bucket.Name, _prefix + KeyTail(TestData.Sha256Hex(body)));
        using var get = await server.Client.GetAsync(ServerHost.FetchPath(origin));

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("miss", get.Headers.GetValues("X-WithCache").Single());
    }

    public static TheoryData<string, string, string?, string?> Requests() => new()
    {
        // name, method, header, value ("{etag}", "{date}" and "{old}" are filled in per server)
        { "plain", "GET", null, null },
        { "head", "HEAD", null, null },
        { "first 100", "GET", "Range", "bytes=0-99" },
        { "from 100", "GET", "Range", "bytes=100-" },
        { "last 50", "GET", "Range", "bytes=-50" },
        { "past the end", "GET", "Range", "bytes=900000-" },
        { "end past the end", "GET", "Range", "bytes=200000-999999" },
        { "zero suffix", "GET", "Range", "bytes=-0" },
        { "two ranges", "GET", "Range", "bytes=0-1,5-6" },
        { "other unit", "GET", "Range", "items=0-1" },
        { "head range", "HEAD", "Range", "bytes=0-99" },
        { "if-none-match hit", "GET", "If-None-Match", "{etag}" },
        { "if-none-match star", "GET", "If-None-Match", "*" },
        { "if-none-match other", "GET", "If-None-Match", "\"other\"" },
        { "head if-none-match", "HEAD", "If-None-Match", "{etag}" },
        { "if-match other", "GET", "If-Match", "\"other\"" },
        { "if-match hit", "GET", "If-Match", "{etag}" },
        { "if-modified-since same", "GET", "If-Modified-Since", "{date}" },
        { "if-modified-since old", "GET", "If-Modified-Since", "{old}" },
        { "if-unmodified-since old", "GET", "If-Unmodified-Since", "{old}" },
        { "if-unmodified-since same", "GET", "If-Unmodified-Since", "{date}" },
        { "if-range etag", "GET", "If-Range", "{etag}" },
        { "if-range other", "GET", "If-Range", "\"other\"" },
        { "if-range date", "GET", "If-Range", "{date}" },
        { "if-range old date", "GET", "If-Range", "{old}" },
    };

    /// <summary>Asks a data-dir server and an S3 server the same requests and compares what they answer.</summary>
    [SkippableTheory]
    [MemberData(nameof(Requests))]
    public async Task ConditionalAndRangeRequests_AnswerLikeTheDataDirBackend(string name, string method, string? header, string? value)
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var dir = NewDir();
        var local = await ServerHost.StartAsync(dir.Path);
        _servers.Add(local);
        var s3 = await StartS3ServerAsync();
        var body = TestData.Bytes(300_000, seed: 3);
        var origin = _origin.Add("/s3/compare.bin", body);
        (await local.WaitForHitAsync(origin)).Dispose();
        (await s3.WaitForHitAsync(origin)).Dispose();

        foreach (var path in new[] { ServerHost.FetchPath(origin), "/blob?url=" + Uri.EscapeDataString(origin) })
        {
            var expected = await AskAsync(local, path, method, header, value);
            var actual = await AskAsync(s3, path, method, header, value);
            _output.WriteLine($"{name} {path[..5]}: local {expected}");
            Assert.Equal(expected, actual);
        }

        // Whatever range the request names, the bytes of a 206 are those bytes of the artifact.
        if (header == "Range" && method == "GET")
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, ServerHost.FetchPath(origin));
            request.Headers.TryAddWithoutValidation("Range", value);
            using var response = await s3.Client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange!;
                Assert.Equal(body.AsSpan((int)range.From!.Value, (int)(range.To!.Value - range.From.Value + 1)).ToArray(), await response.Content.ReadAsByteArrayAsync());
            }
        }
    }

    [SkippableFact]
    public async Task Redirect_GetHitAnswers302ToAPresignedUrl_ThatCurlFollows()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync(s => s["WithCache:S3Redirect"] = "true");
        var body = TestData.Bytes(1_000_000, seed: 4);
        var origin = _origin.Add("/s3/dir/redirected.tar.gz", body);
        await server.MissAsync(origin);
        await server.WaitForJobAsync(origin, JobState.Completed);

        using var noFollow = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.BaseUrl) };
        using (var get = await noFollow.GetAsync(ServerHost.FetchPath(origin)))
        {
            Assert.Equal(HttpStatusCode.Found, get.StatusCode);
            Assert.StartsWith(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3")!.TrimEnd('/'), get.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
            Assert.Equal("hit", get.Headers.GetValues("X-WithCache").Single());
            Assert.Equal("store", get.Headers.GetValues("X-WithCache-Redirect").Single());
            Assert.True(get.Headers.CacheControl!.NoStore);
        }

        // The shims' probe: a HEAD is answered here, and says that the GET will be sent to the store.
        using (var head = await noFollow.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin))))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("store", head.Headers.GetValues("X-WithCache-Redirect").Single());
        }

        using (var attachment = await noFollow.GetAsync("/blob?url=" + Uri.EscapeDataString(origin)))
        using (var fromStore = await noFollow.GetAsync(attachment.Headers.Location))
        {
            Assert.Equal(HttpStatusCode.OK, fromStore.StatusCode);
            Assert.Equal("redirected.tar.gz", fromStore.Content.Headers.ContentDisposition!.FileNameStar);
        }

        var file = Path.Combine(NewDir().Path, "out");
        var curl = await Command.RunAsync("curl", "-sS", "-L", "-o", file, "-w", "%{http_code}", server.BaseUrl + ServerHost.FetchPath(origin));
        Assert.Equal((0, "200"), (curl.ExitCode, curl.Output.Trim()));
        Assert.Equal(body, await File.ReadAllBytesAsync(file));
    }

    [SkippableFact]
    public async Task Fill_OriginFailsMidway_LeavesNoObjectTempKeyOrUpload()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync();

        // Half of it (more than one part) arrives every time, then the origin closes: every attempt uploads a part.
        var origin = _origin.Add("/s3/cut.bin", TestData.Bytes((3 * S3Upload.PartBytes) + 10, seed: 5));
        _origin.CutShort("/s3/cut.bin");
        await server.MissAsync(origin);
        var job = await server.WaitForJobAsync(origin);

        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.Empty(await Bucket.ListKeysAsync(_prefix));
        Assert.Empty(await Bucket.ListUploadsAsync(_prefix));
        Assert.Empty(server.TempFiles());
    }

    [SkippableFact]
    public async Task Fill_DroppedMidway_ResumesWithRangeIntoTheSameUpload()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync();

        // The whole-body answer stops halfway (after more than one part); the Range request for the rest succeeds.
        var body = TestData.Bytes((2 * S3Upload.PartBytes) + 999, seed: 8);
        var origin = _origin.Add("/s3/resumed.bin", body);
        _origin.SupportRanges("/s3/resumed.bin");
        _origin.CutShort("/s3/resumed.bin");
        using var hit = await server.WaitForHitAsync(origin, TimeSpan.FromSeconds(60));

        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        // Where it resumes depends on how much arrived before the close; never from the start.
        var resumedAt = Assert.Single(_origin.RangeRequests).Split(' ')[1];
        Assert.InRange(long.Parse(resumedAt["bytes=".Length..^1], CultureInfo.InvariantCulture), 1, body.Length / 2);
        Assert.Equal(2, _origin.RequestsFor("/s3/resumed.bin"));
        Assert.Equal([_prefix + KeyTail(TestData.Sha256Hex(body))], await Bucket.ListKeysAsync(_prefix));
        Assert.Empty(await Bucket.ListUploadsAsync(_prefix));
    }

    [SkippableFact]
    public async Task Delete_LastArtifactOfAnObject_RemovesTheObject()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync();
        var body = TestData.Bytes(2000, seed: 6);
        var first = _origin.Add("/s3/one.bin", body);
        var second = _origin.Add("/s3/two.bin", body);
        (await server.WaitForHitAsync(first)).Dispose();
        (await server.WaitForHitAsync(second)).Dispose();
        var operations = server.Get<CacheOperations>();
        var key = _prefix + KeyTail(TestData.Sha256Hex(body));

        Assert.True(operations.DeleteArtifact(operations.FindKey(first)!).Succeeded);
        Assert.Equal([key], await Bucket.ListKeysAsync(_prefix));

        Assert.True(operations.DeleteArtifact(operations.FindKey(second)!).Succeeded);
        Assert.Empty(await Bucket.ListKeysAsync(_prefix));
    }

    [SkippableFact]
    public async Task Startup_SweepsOldLeftoversOnly_AndDropsRowsWhoseObjectIsGone()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync(s => s["S3:OrphanGrace"] = "00:00:03");
        var body = TestData.Bytes(1000, seed: 7);
        var origin = _origin.Add("/s3/gone.bin", body);
        (await server.WaitForHitAsync(origin)).Dispose();
        await server.StopAsync();
        await Client.DeleteObjectAsync(Bucket.Name, _prefix + KeyTail(TestData.Sha256Hex(body)));

        var orphanHex = TestData.Sha256Hex([1, 2, 3]);
        await PutAsync("tmp/old-temp");
        await PutAsync(KeyTail(orphanHex));
        var oldUpload = await Client.InitiateMultipartUploadAsync(Bucket.Name, _prefix + "tmp/old-upload");
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        await PutAsync("tmp/young-temp");
        var youngUpload = await Client.InitiateMultipartUploadAsync(Bucket.Name, _prefix + "tmp/young-upload");
        await PutAsync(KeyTail(TestData.Sha256Hex([4, 5, 6])));

        await server.RestartAsync();

        Assert.Equal(
            new[] { _prefix + "tmp/young-temp", _prefix + KeyTail(TestData.Sha256Hex([4, 5, 6])) }.Order(),
            (await Bucket.ListKeysAsync(_prefix)).Order());
        Assert.Equal([youngUpload.UploadId], (await Bucket.ListUploadsAsync(_prefix)).Select(u => u.UploadId));
        Assert.DoesNotContain(oldUpload.UploadId, (await Bucket.ListUploadsAsync(_prefix)).Select(u => u.UploadId));
        Assert.Null(server.Get<ICacheCatalog>().FindArtifact(server.Get<CacheOperations>().FindKey(origin)!));
    }

    [SkippableFact]
    public async Task Running_SweepsUploadsAndTempKeysLeftBehind_OnceOlderThanTheGracePeriod()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var server = await StartS3ServerAsync(s => s["S3:OrphanGrace"] = "00:00:02");

        // As a host killed mid-fill leaves them, after this host's start-up sweep.
        await Client.InitiateMultipartUploadAsync(Bucket.Name, _prefix + "tmp/left-behind");
        await PutAsync("tmp/left-temp");
        Assert.Equal(2, server.TempFiles().Count);

        await Poll.UntilAsync(() => server.TempFiles().Count == 0, "the periodic sweep to remove the leftovers");
        Assert.Empty(await Bucket.ListUploadsAsync(_prefix));
    }

    [SkippableFact]
    public async Task Startup_BucketMissing_FailsWithAClearMessage()
    {
        Skip.IfNot(HasEndpoint, SkipReason);
        var dir = NewDir();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerHost.StartAsync(dir.Path, s => s["WithCache:Blobs"] = "s3://withcache-no-such-bucket/x/"));

        Assert.Contains("bucket 'withcache-no-such-bucket' does not exist", error.Message, StringComparison.Ordinal);
    }

    /// <summary>No store needed: the catalog row is written directly, and the store's endpoint is a closed port.</summary>
    [Fact]
    public async Task Hit_StoreUnreachable_Answers503FastThenHeadToo()
    {
        var dir = NewDir();
        var server = await ServerHost.StartAsync(dir.Path, s =>
        {
            s["WithCache:Blobs"] = "s3://withcache-unreachable/p/";
            s["S3:Endpoint"] = "http://127.0.0.1:9";
            s["S3:AccessKeyId"] = "none";
            s["S3:SecretAccessKey"] = "none";
        });
        _servers.Add(server);
        var origin = SeedArtifact(server, "http://127.0.0.1:1/vendor/tool.tar.gz", TestData.Sha256Hex([9]), 1);

        var clock = Stopwatch.StartNew();
        using var get = await server.Client.GetAsync(ServerHost.FetchPath(origin));
        var elapsed = clock.Elapsed;
        using var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, get.StatusCode);
        Assert.Equal("unavailable", get.Headers.GetValues("X-WithCache").Single());
        Assert.Equal(TimeSpan.FromSeconds(5), get.Headers.RetryAfter!.Delta);
        Assert.False(get.Headers.Contains("Repr-Digest"));
        Assert.Equal("no-store", get.Headers.CacheControl!.ToString());
        Assert.Equal("nosniff", get.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(8));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, head.StatusCode);
        _output.WriteLine($"503 after {elapsed.TotalMilliseconds:F0} ms");
    }

    /// <summary>No store needed: a loopback server plays the store and stops sending after the headers or mid-body.</summary>
    [Fact]
    public async Task Hit_StoreStalls_BeforeHeaders503_MidBodyConnectionCutOff()
    {
        await using var fakeStore = await OriginServer.StartAsync();
        var stalledHex = TestData.Sha256Hex([1]);
        var silentHex = TestData.Sha256Hex([2]);

        // The bucket exists (HEAD at start-up); listing it fails (404), so start-up skips the sweep.
        fakeStore.Map("/bucket/", (_, _) => Task.CompletedTask);
        fakeStore.Map("/bucket/p/" + KeyTail(stalledHex), async (context, _) =>
        {
            context.Response.ContentLength = 100_000;
            await context.Response.Body.WriteAsync(new byte[10_000]);
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        fakeStore.Map("/bucket/p/" + KeyTail(silentHex), (context, _) => Task.Delay(Timeout.Infinite, context.RequestAborted));
        var server = await ServerHost.StartAsync(NewDir().Path, s =>
        {
            s["WithCache:Blobs"] = "s3://bucket/p/";
            s["S3:Endpoint"] = fakeStore.Url("/");
            s["S3:AccessKeyId"] = "none";
            s["S3:SecretAccessKey"] = "none";
            s["S3:ReadTimeout"] = "00:00:01";
            s["S3:BodyIdleTimeout"] = "00:00:01";
        });
        _servers.Add(server);
        var stalled = SeedArtifact(server, "http://127.0.0.1:1/stalled.bin", stalledHex, 100_000);
        var silent = SeedArtifact(server, "http://127.0.0.1:1/silent.bin", silentHex, 100_000);

        var clock = Stopwatch.StartNew();
        using (var response = await server.Client.GetAsync(ServerHost.FetchPath(silent)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        }

        clock.Restart();
        using (var response = await server.Client.GetAsync(ServerHost.FetchPath(stalled), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        }
    }

    private static string SeedArtifact(ServerHost server, string origin, string hex, long size)
    {
        var catalog = server.Get<ICacheCatalog>();
        var key = server.Get<CacheOperations>().FindKey(origin)!;
        var jobId = catalog.CreateJob(key, origin, DateTimeOffset.UtcNow)!.Value;
        catalog.CompleteFill(jobId, key, origin, ContentDigest.Parse(hex), size, DateTimeOffset.UtcNow);
        return origin;
    }

    private async Task<ServerHost> StartS3ServerAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        var dir = NewDir();
        var server = await ServerHost.StartAsync(dir.Path, s =>
        {
            s["WithCache:Blobs"] = $"s3://{Bucket.Name}/{_prefix}";
            configure?.Invoke(s);
        });
        _servers.Add(server);
        return server;
    }

    private TempDir NewDir()
    {
        var dir = new TempDir();
        _dirs.Add(dir);
        return dir;
    }

    /// <summary>Records every file created under the data dir while the watcher lives.</summary>
    private static FileSystemWatcher WatchDataDir(ServerHost server, out System.Collections.Concurrent.ConcurrentBag<string> seen)
    {
        var bag = new System.Collections.Concurrent.ConcurrentBag<string>();
        var watcher = new FileSystemWatcher(server.DataDir) { IncludeSubdirectories = true, EnableRaisingEvents = true };
        watcher.Created += (_, e) => bag.Add(e.FullPath);
        seen = bag;
        return watcher;
    }

    /// <summary>Status, the headers the two backends must agree on, and the body length: one comparable line.</summary>
    private static async Task<string> AskAsync(ServerHost server, string path, string method, string? header, string? value)
    {
        using var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        var etag = head.Headers.ETag!.ToString();
        var date = head.Content.Headers.LastModified!.Value;
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (header is not null && value is not null)
        {
            var filled = value.Replace("{etag}", etag, StringComparison.Ordinal)
                .Replace("{date}", date.ToString("r", CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{old}", date.AddDays(-1).ToString("r", CultureInfo.InvariantCulture), StringComparison.Ordinal);
            request.Headers.TryAddWithoutValidation(header, filled);
            if (header == "If-Range")
            {
                request.Headers.TryAddWithoutValidation("Range", "bytes=10-19");
            }
        }

        using var response = await server.Client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var h = response.Headers;
        var c = response.Content.Headers;
        return string.Join(
            " | ",
            (int)response.StatusCode,
            $"len={c.ContentLength}",
            $"body={bytes.Length}",
            $"range={c.ContentRange}",
            $"etag={h.ETag}",
            $"lm={c.LastModified is not null}",
            $"ar={string.Join(",", h.AcceptRanges)}",
            $"type={c.ContentType}",
            $"disp={c.ContentDisposition}",
            $"state={Joined(h, "X-WithCache")}",
            $"repr={h.Contains("Repr-Digest")}",
            $"cc={h.CacheControl}");
    }

    private static string Joined(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    private static string KeyTail(string hex) => $"sha256/{hex[..2]}/{hex[2..4]}/{hex}";

    private Task PutAsync(string tail) =>
        Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket.Name, Key = _prefix + tail, ContentBody = "x" });
}
