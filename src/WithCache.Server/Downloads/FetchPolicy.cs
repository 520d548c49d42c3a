using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using WithCache.Core;

namespace WithCache.Server.Downloads;

/// <summary>
/// Who the cache-host may fetch from. The read path is open, so anyone on the LAN can make it fetch a URL; this keeps
/// those fetches away from the host itself, the lab's private networks and cloud metadata services. Names are checked
/// where it counts, at connect time on the address actually dialled, so a DNS answer that changes between a check and
/// the connection (rebinding) cannot get around it.
/// </summary>
internal sealed class FetchPolicy
{
    private const string MetadataKind = "a cloud metadata address";

    private static readonly IPAddress AwsMetadataV6 = IPAddress.Parse("fd00:ec2::254");

    private readonly bool _allowPrivate;
    private readonly string[] _allowHosts;
    private readonly IPNetwork[] _allowNetworks;

    public FetchPolicy(IOptions<FetchOptions> options)
    {
        var value = options.Value;
        _allowPrivate = value.AllowPrivate;
        _allowHosts = [.. value.AllowHosts.Select(NormaliseHost)];
        _allowNetworks = [.. value.AllowNetworks.Select(ParseNetwork)];
    }

    /// <summary>
    /// A fast check without DNS, for queueing and for every redirect hop: the scheme, <c>--allow-host</c>, and the
    /// address when the host is an IP literal. Null means go on; otherwise a one-line reason.
    /// </summary>
    public string? Check(OriginUrl origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        if (origin.Scheme is not ("http" or "https"))
        {
            return $"scheme {origin.Scheme} is not allowed (http and https only)";
        }

        var host = NormaliseHost(origin.Host);
        if (_allowHosts.Length > 0 && !_allowHosts.Any(glob => GlobMatches(glob, host)))
        {
            return $"host {origin.Host} is not in the allowed hosts";
        }

        if (IPAddress.TryParse(StripBrackets(origin.Host), out var literal) && FindRefusal(literal) is { } kind)
        {
            return $"{literal} is {kind}";
        }

        return null;
    }

    /// <summary>
    /// The handler behind the named client <c>origin</c>: no automatic redirects (each hop is checked), no
    /// decompression (the bytes are the artifact), no proxy (the address check must see the origin, not a proxy),
    /// no cookies, and a connect callback that refuses denied addresses before any packet goes to them. An abandoned
    /// body (a redirect's, or a fill refused for space) is drained only when it is small enough to keep the connection
    /// for the next hop; a large one closes the connection instead of being read.
    /// </summary>
    public SocketsHttpHandler CreatePrimaryHandler() => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseProxy = false,
        UseCookies = false,
        MaxResponseDrainSize = 16 * 1024,
        ConnectCallback = ConnectAsync,
    };

    /// <summary>Why a fill may not connect to <paramref name="address"/> (with its article), or null when it may.</summary>
    public string? FindRefusal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (IsInAllowedNetwork(address))
        {
            return null;
        }

        var kind = Classify(address);

        // --allow-private is for a lab mirror; a metadata service is never one, so only an explicit network lifts it.
        return kind is null || (_allowPrivate && kind != MetadataKind) ? null : kind;
    }

    /// <summary>
    /// What kind of special address this is (with its article, "a loopback address"), or null for an ordinary public
    /// one. Covers the IANA special-purpose registries' non-global blocks that matter for a fetch.
    /// </summary>
    internal static string? Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        return length == 4 ? ClassifyV4(bytes[..4]) : ClassifyV6(address, bytes);
    }

    private static string? ClassifyV4(ReadOnlySpan<byte> b)
    {
        return b switch
        {
            [169, 254, 169, 254] => MetadataKind,
            [0, 0, 0, 0] => "the unspecified address",
            [255, 255, 255, 255] => "the broadcast address",
            [0, ..] => "a 'this network' address",
            [10, ..] => "a private address",
            [100, >= 64 and <= 127, ..] => "a shared (CGNAT) address",
            [127, ..] => "a loopback address",
            [169, 254, ..] => "a link-local address",
            [172, >= 16 and <= 31, ..] => "a private address",
            [192, 0, 0, _] => "a reserved address",
            [192, 168, ..] => "a private address",
            [198, 18 or 19, ..] => "a reserved address",
            [>= 224 and <= 239, ..] => "a multicast address",
            [>= 240, ..] => "a reserved address",
            _ => null,
        };
    }

    private static string? ClassifyV6(IPAddress address, ReadOnlySpan<byte> b)
    {
        if (address.Equals(IPAddress.IPv6None))
        {
            return "the unspecified address";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "a loopback address";
        }

        if (address.Equals(AwsMetadataV6))
        {
            return MetadataKind;
        }

        if (b[..12].IndexOfAnyExcept((byte)0) < 0)
        {
            return "an IPv4-compatible address";
        }

        // NAT64 (RFC 6052, 64:ff9b::/96) and 6to4 (RFC 3056, 2002::/16) reach the IPv4 address they embed.
        if (b[..12].SequenceEqual((ReadOnlySpan<byte>)[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]))
        {
            return ClassifyV4(b[12..]);
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return ClassifyV4(b[2..6]);
        }

        return b switch
        {
            [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01, ..] => "a local NAT64 address",
            [>= 0xfc and <= 0xfd, ..] => "a unique local address",
            [0xfe, >= 0x80 and <= 0xbf, ..] => "a link-local address",
            [0xfe, >= 0xc0, ..] => "a site-local address",
            [0xff, ..] => "a multicast address",
            _ => null,
        };
    }

    /// <summary>Glob with <c>*</c> (any run of characters, dots included) and <c>?</c> (one character), whole host.</summary>
    internal static bool GlobMatches(string glob, string host)
    {
        int g = 0, h = 0, star = -1, resume = 0;
        while (h < host.Length)
        {
            if (g < glob.Length && (glob[g] == '?' || glob[g] == host[h]))
            {
                g++;
                h++;
            }
            else if (g < glob.Length && glob[g] == '*')
            {
                star = g++;
                resume = h;
            }
            else if (star >= 0)
            {
                g = star + 1;
                h = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (g < glob.Length && glob[g] == '*')
        {
            g++;
        }

        return g == glob.Length;
    }

    internal static IPNetwork ParseNetwork(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (!trimmed.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(trimmed, out var single))
        {
            return new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }

        return IPNetwork.Parse(trimmed);
    }

    internal static string NormaliseHost(string host) => host.TrimEnd('.').ToLowerInvariant();

    private static string StripBrackets(string host) =>
        host.Length > 1 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;

    private bool IsInAllowedNetwork(IPAddress address)
    {
        foreach (var network in _allowNetworks)
        {
            if (network.Contains(address) || (address.IsIPv4MappedToIPv6 && network.Contains(address.MapToIPv4())))
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = StripBrackets(context.DnsEndPoint.Host);
        var isLiteral = IPAddress.TryParse(host, out var literal);
        var addresses = isLiteral && literal is not null
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);

        // Dial only addresses that passed: what is checked is exactly what is connected to.
        var allowed = new List<IPAddress>(addresses.Length);
        string? refusal = null;
        foreach (var address in addresses)
        {
            if (FindRefusal(address) is { } kind)
            {
                refusal ??= isLiteral ? $"{address} is {kind}" : $"{host} resolves to {address}, {kind}";
            }
            else
            {
                allowed.Add(address);
            }
        }

        if (allowed.Count == 0)
        {
            throw refusal is null ? new SocketException((int)SocketError.HostNotFound) : new FetchRefusedException(refusal);
        }

        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostUnreachable);
    }
}
