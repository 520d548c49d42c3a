using WithCache.Server.Blobs;

namespace WithCache.Server.Catalog;

internal sealed record ArtifactRecord(
    string Key, string Origin, ContentDigest Digest, long Size, DateTimeOffset FetchedAt, long Hits, long MissesBefore);
