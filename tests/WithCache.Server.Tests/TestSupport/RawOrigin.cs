using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// A bare TCP listener that counts every connection it accepts. As an origin (<see cref="Start"/>, on 127.0.0.1) it
/// reads each request head and writes the bytes the test built by hand, then closes cleanly (FIN): the framing faults
/// Kestrel will not produce, such as a body longer than its Content-Length or a chunked body without its last chunk.
/// As a trap (<see cref="StartTrap"/>) it listens on every local address, IPv4 and IPv6, of one port and answers
/// nothing: a fill pointed at any loopback or local address on that port reaches it, so <see cref="Accepted"/>
/// staying 0 proves a fill never connected.
/// </summary>
public sealed class RawOrigin : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<int, byte[]>? _respond;
    private readonly ConcurrentQueue<string> _requests = new();
    private int _accepted;

    private RawOrigin(IPAddress address, Func<int, byte[]>? respond)
    {
        _respond = respond;
        _listener = new TcpListener(address, 0);
        if (address.Equals(IPAddress.IPv6Any))
        {
            _listener.Server.DualMode = true;
        }

        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>Connections accepted so far (also those that never sent a request).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>The request heads received, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>An origin on 127.0.0.1 whose answer to the n-th request (1-based) is <paramref name="respond"/>(n), byte for byte.</summary>
    public static RawOrigin Start(Func<int, byte[]> respond) => new(IPAddress.Loopback, respond);

    /// <summary>A listener on every local address (dual-stack) of a free port that never answers.</summary>
    public static RawOrigin StartTrap() => new(IPAddress.IPv6Any, null);

    public string Url(string path, string host = "127.0.0.1") => $"http://{host}:{Port.ToString(CultureInfo.InvariantCulture)}{path}";

    /// <summary>A response head: status line, the given header lines, and the empty line.</summary>
    public static byte[] Head(string status, params string[] headers) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n");

    /// <summary>One chunk of a chunked body (RFC 9112 section 7.1): size in hex, the bytes, CRLF.</summary>
    public static byte[] Chunk(ReadOnlySpan<byte> bytes) =>
        [.. Encoding.ASCII.GetBytes(bytes.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), .. bytes, (byte)'\r', (byte)'\n'];

    public void Dispose() => _listener.Stop();

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            var n = Interlocked.Increment(ref _accepted);
            _ = AnswerAsync(socket, n);
        }
    }

    private async Task AnswerAsync(Socket socket, int n)
    {
        using (socket)
        {
            if (_respond is null)
            {
                return;
            }

            try
            {
                var head = await ReadHeadAsync(socket);
                _requests.Enqueue(head);
                await socket.SendAsync(_respond(n));

                // FIN, not RST: the request head was read whole, so nothing unread is left to turn the close into a reset.
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The client went away first; nothing to answer.
            }
        }
    }

    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var head = new List<byte>();
        var buffer = new byte[4096];
        while (head.Count < 64 * 1024)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                break;
            }

            head.AddRange(buffer.AsSpan(0, read));
            if (Encoding.ASCII.GetString([.. head]).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                break;
            }
        }

        return Encoding.ASCII.GetString([.. head]);
    }
}
