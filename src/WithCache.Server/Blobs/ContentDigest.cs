using System.Diagnostics.CodeAnalysis;

namespace WithCache.Server.Blobs;

/// <summary>The SHA-256 of a blob as 64 lower-case hex digits: the blob's name on disk and its strong ETag.</summary>
internal readonly record struct ContentDigest
{
    private ContentDigest(string hex) => Hex = hex;

    public string Hex { get; }

    public static bool TryParse(string? text, [NotNullWhen(true)] out ContentDigest? digest)
    {
        digest = null;
        if (text is not { Length: 64 })
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        digest = new ContentDigest(text);
        return true;
    }

    public static ContentDigest Parse(string text) =>
        TryParse(text, out var digest) ? digest.Value : throw new FormatException("not a lower-case SHA-256 hex digest");

    /// <summary>The digest as base64, for <c>Repr-Digest</c> (RFC 9530) and <c>Digest</c> (RFC 3230).</summary>
    public string ToBase64() => Convert.ToBase64String(Convert.FromHexString(Hex));

    public override string ToString() => Hex;
}
