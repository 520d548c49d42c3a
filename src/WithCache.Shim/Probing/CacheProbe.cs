using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using WithCache.Core;

namespace WithCache.Shim.Probing;

/// <summary>
/// One <c>HEAD</c> on the fetch URL over a plain socket (no HttpClient: it would add megabytes and milliseconds
/// to every start). Everything (name lookup, connect, TLS, request, status line) shares one deadline, so a cache
/// that is down or silent costs at most the timeout. An https cache-host is probed through OpenSSL (TlsStream).
/// </summary>
internal static class CacheProbe
{
    // A cache-host's answer head is a few hundred bytes; anything past this is not one.
    private const int MaxHeadBytes = 8192;

    public static ProbeResult Head(OriginUrl server, OriginUrl origin, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var host = server.Host.StartsWith('[') ? server.Host[1..^1] : server.Host;
        var port = server.Port ?? (server.Scheme == "https" ? 443 : 80);
        try
        {
            if (!TryResolve(host, deadline, out var addresses, out var failure))
            {
                return failure;
            }

            ProbeResult? connectFailure = new(ProbeOutcome.Unreachable, "no address to connect to");
            foreach (var address in addresses)
            {
                using var socket = NativeSocket.Connect(address, port, Remaining(deadline), out connectFailure);
                if (socket is null)
                {
                    if (connectFailure?.Outcome == ProbeOutcome.TimedOut)
                    {
                        break;
                    }

                    continue;
                }

                using var channel = server.Scheme == "https" ? TlsStream.Connect(socket.Fd, host) : null;
                IProbeChannel stream = channel is null ? socket : channel;
                stream.Write(BuildRequest(server, origin));
                return ReadStatus(stream, deadline);
            }

            return connectFailure!;
        }
        catch (ProbeTimeoutException)
        {
            return new(ProbeOutcome.TimedOut, "no answer within the probe timeout");
        }
        catch (IOException e)
        {
            return new(ProbeOutcome.Failed, e.Message);
        }
    }

    /// <summary>
    /// The request target of the fetch URL (FetchUrl.Build over the server's path), percent-encoded where the name
    /// or query has bytes an HTTP request line forbids; the token and the route are plain ASCII already.
    /// </summary>
    internal static string RequestTarget(OriginUrl server, OriginUrl origin)
    {
        var builder = new StringBuilder();
        AppendEscaped(builder, FetchUrl.Build(server.Path, origin));
        return builder.ToString();
    }

    private static byte[] BuildRequest(OriginUrl server, OriginUrl origin)
    {
        var hostHeader = server.Port is { } port ? server.Host + ":" + port.ToString(CultureInfo.InvariantCulture) : server.Host;
        var text = string.Concat(
            "HEAD ", RequestTarget(server, origin), " HTTP/1.1\r\nHost: ", hostHeader,
            "\r\nUser-Agent: withcache-shim\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        return Encoding.ASCII.GetBytes(text);
    }

    private static void AppendEscaped(StringBuilder builder, string text)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is <= 0x20 or >= 0x7F or (byte)'"' or (byte)'<' or (byte)'>' or (byte)'\\' or (byte)'^' or (byte)'`'
                or (byte)'{' or (byte)'|' or (byte)'}' or (byte)'#')
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append((char)b);
            }
        }
    }

    private static bool TryResolve(string host, long deadline, out IPAddress[] addresses, out ProbeResult failure)
    {
        failure = new(ProbeOutcome.Unreachable, "");
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
            return true;
        }

        using var cancel = new CancellationTokenSource(Remaining(deadline));
        var lookup = Dns.GetHostAddressesAsync(host, cancel.Token);
        try
        {
            if (!lookup.Wait(Remaining(deadline)))
            {
                addresses = [];
                failure = new(ProbeOutcome.TimedOut, $"name lookup of {host} timed out");
                return false;
            }
        }
        catch (AggregateException e)
        {
            addresses = [];
            failure = new(ProbeOutcome.Unreachable, $"name lookup of {host} failed: {e.InnerException?.Message}");
            return false;
        }

        addresses = lookup.Result;
        if (addresses.Length == 0)
        {
            failure = new(ProbeOutcome.Unreachable, $"{host} has no address");
            return false;
        }

        return true;
    }

    private static ProbeResult ReadStatus(IProbeChannel stream, long deadline)
    {
        // "HTTP/1.1 200 OK": any status but 200 needs only its code. On a 200 the probe reads the header lines up to
        // the empty line (a HEAD answer has no body) for FetchUrl.RedirectHeader.
        var buffer = new byte[MaxHeadBytes];
        var filled = 0;
        while (true)
        {
            if (Remaining(deadline) <= TimeSpan.Zero)
            {
                return new(ProbeOutcome.TimedOut, "no answer within the probe timeout");
            }

            if (filled == buffer.Length)
            {
                return new(ProbeOutcome.Failed, $"answer head longer than {MaxHeadBytes} bytes");
            }

            var read = stream.Read(buffer.AsSpan(filled));
            if (read == 0)
            {
                return new(ProbeOutcome.Failed, filled < 12 ? "connection closed before a status line" : "connection closed inside the answer head");
            }

            filled += read;
            if (filled < 12)
            {
                continue;
            }

            var status = Status(buffer);
            if (status < 0)
            {
                return new(ProbeOutcome.Failed, "answer is not HTTP/1.x");
            }

            if (status != 200)
            {
                return new(ProbeOutcome.Miss, status.ToString(CultureInfo.InvariantCulture));
            }

            var headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                var redirects = HeaderValue(Encoding.ASCII.GetString(buffer, 0, headEnd), FetchUrl.RedirectHeader) is { } value
                    && value.Equals(FetchUrl.RedirectToStore, StringComparison.OrdinalIgnoreCase);
                return new(ProbeOutcome.Hit, "200", redirects);
            }
        }
    }

    /// <summary>The status code of "HTTP/1.x NNN" in the first 12 bytes; -1 when they are not one.</summary>
    private static int Status(byte[] buffer)
    {
        var line = Encoding.ASCII.GetString(buffer, 0, 12);
        return line.StartsWith("HTTP/1.", StringComparison.Ordinal) && line[8] == ' '
            && int.TryParse(line.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            ? status
            : -1;
    }

    /// <summary>The value of the first header line named <paramref name="name"/> (any case), trimmed; null when absent.</summary>
    internal static string? HeaderValue(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon == name.Length && line.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim(' ', '\t');
            }
        }

        return null;
    }

    private static TimeSpan Remaining(long deadline)
    {
        var ticks = deadline - Stopwatch.GetTimestamp();
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
    }
}
