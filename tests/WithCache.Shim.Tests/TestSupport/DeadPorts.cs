using System.Net;
using System.Net.Sockets;

namespace WithCache.Shim.Tests.TestSupport;

/// <summary>Loopback ports for an unreachable cache: one that refuses, one that accepts and never answers.</summary>
public static class DeadPorts
{
    /// <summary>A port nothing listens on: bound once to get it from the OS, then closed.</summary>
    public static int Refusing()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A listener whose backlog accepts connections that are never read or answered.</summary>
    public static TcpListener Silent()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 16);
        return listener;
    }
}
