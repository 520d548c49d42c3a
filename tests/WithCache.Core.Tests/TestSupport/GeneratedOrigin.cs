using System.Globalization;

namespace WithCache.Core.Tests.TestSupport;

/// <summary>
/// An origin URL made from its parts, so a test knows what the parser must find in it. <see cref="PortText"/> is
/// the port as written: null for none, empty for a bare <c>:</c>, else digits (maybe with leading zeros).
/// </summary>
public sealed record GeneratedOrigin(string Scheme, string Host, string? PortText, string Path, string? Query, string? Fragment)
{
    public string Text => string.Concat(
        Scheme,
        "://",
        Host,
        PortText is null ? "" : ":" + PortText,
        Path,
        Query is null ? "" : "?" + Query,
        Fragment is null ? "" : "#" + Fragment);

    public int? Port => string.IsNullOrEmpty(PortText) ? null : int.Parse(PortText, CultureInfo.InvariantCulture);

    public override string ToString() => OriginGen.Escape(Text);
}
