using System.Net;
using System.Net.Sockets;

namespace WithCache.Client.Tests.TestSupport;

/// <summary>A loopback address nothing listens on: connecting is refused at once.</summary>
public static class RefusedPort
{
    /// <summary>A port that was free a moment ago (bound, then released), as <c>127.0.0.1:port</c>.</summary>
    public static string Server()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return "127.0.0.1:" + port;
    }
}
