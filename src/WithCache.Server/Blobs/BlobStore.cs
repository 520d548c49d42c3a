using Microsoft.Extensions.Options;
using WithCache.Server.Hosting;

namespace WithCache.Server.Blobs;

/// <summary>
/// Owns the bytes: finished blobs under <c>blobs/sha256/aa/bb/&lt;hex&gt;</c>, fills in progress under <c>tmp/</c>
/// on the same filesystem so that a commit is one atomic rename. Paths derive from digests only, never from URLs.
/// </summary>
internal sealed class BlobStore
{
    private readonly string _blobRoot;
    private readonly string _tempRoot;

    public BlobStore(IOptions<ServerOptions> options)
    {
        var dataDir = Path.GetFullPath(options.Value.DataDir);
        _blobRoot = Path.Combine(dataDir, "blobs", "sha256");
        _tempRoot = Path.Combine(dataDir, "tmp");
        Directory.CreateDirectory(_blobRoot);
        Directory.CreateDirectory(_tempRoot);
    }

    public string TempDirectory => _tempRoot;

    /// <summary>Whether the blob and temp folders are there (readiness: a data dir on an unmounted disk is not).</summary>
    public bool FoldersExist => Directory.Exists(_blobRoot) && Directory.Exists(_tempRoot);

    public string PathOf(ContentDigest digest) =>
        Path.Combine(_blobRoot, digest.Hex[..2], digest.Hex[2..4], digest.Hex);

    public bool Exists(ContentDigest digest) => File.Exists(PathOf(digest));

    public string CreateTempPath() => Path.Combine(_tempRoot, Guid.NewGuid().ToString("N") + ".part");

    /// <summary>The path of a temp file named in the catalog; null unless the name is a plain file name.</summary>
    public string? FindTempPath(string name) =>
        name.Length > 0 && Path.GetFileName(name) == name && name is not ("." or "..") ? Path.Combine(_tempRoot, name) : null;

    /// <summary>
    /// Moves a complete, fsynced temp file into place. When the blob already exists (another URL with the same
    /// bytes) the temp file is dropped: content addressing makes the two identical.
    /// </summary>
    public void Commit(string tempPath, ContentDigest digest)
    {
        var target = PathOf(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!); // a blob path always has a parent
        if (File.Exists(target))
        {
            File.Delete(tempPath);
            return;
        }

        File.Move(tempPath, target, overwrite: false);
    }

    public void Delete(ContentDigest digest)
    {
        var path = PathOf(digest);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    public void DeleteTemp(string tempPath)
    {
        if (File.Exists(tempPath))
        {
            File.Delete(tempPath);
        }
    }

    /// <summary>
    /// Removes every temp file but the checkpoints unfinished jobs resume from: after a restart no fill is running,
    /// so any other is a leftover.
    /// </summary>
    public int SweepTemp(IReadOnlySet<string> keep)
    {
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(_tempRoot))
        {
            if (keep.Contains(Path.GetFileName(file)))
            {
                continue;
            }

            File.Delete(file);
            removed++;
        }

        return removed;
    }

    /// <summary>Every blob on disk with its size, for reconciling with the catalog at start-up.</summary>
    public IEnumerable<(ContentDigest Digest, long Size)> EnumerateBlobs()
    {
        foreach (var file in Directory.EnumerateFiles(_blobRoot, "*", SearchOption.AllDirectories))
        {
            if (ContentDigest.TryParse(Path.GetFileName(file), out var digest))
            {
                yield return (digest.Value, new FileInfo(file).Length);
            }
        }
    }
}
