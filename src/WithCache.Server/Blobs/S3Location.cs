namespace WithCache.Server.Blobs;

/// <summary><c>--blobs s3://bucket/prefix</c>: the bucket and a key prefix that is empty or ends with '/'.</summary>
internal sealed record S3Location(string Bucket, string Prefix)
{
    public static bool TryParse(string text, out S3Location location, out string problem)
    {
        location = new S3Location("", "");
        problem = "";
        text = text.Trim();
        const string scheme = "s3://";
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            problem = "expected s3://bucket or s3://bucket/prefix";
            return false;
        }

        var rest = text[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');

        // S3's bucket rules (3-63 of lower-case letters, digits, dots and hyphens, starting and ending alphanumeric).
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            problem = $"'{bucket}' is not a bucket name (3-63 lower-case letters, digits, dots and hyphens)";
            return false;
        }

        if (prefix.Contains("//", StringComparison.Ordinal) || prefix.Any(c => char.IsControl(c) || c == '\\')
            || prefix.Split('/').Any(part => part is "." or ".."))
        {
            problem = $"'{prefix}' is not a usable key prefix";
            return false;
        }

        location = new S3Location(bucket, prefix.Length == 0 ? "" : prefix + "/");
        return true;
    }

    public override string ToString() => $"s3://{Bucket}/{Prefix}";
}
