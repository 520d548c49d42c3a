using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using WithCache.Shim.Exec;

namespace WithCache.Shim.Probing;

/// <summary>
/// A TCP client socket made with libc calls. System.Net.Sockets starts an epoll thread and thread-pool threads
/// for a non-blocking connect, which costs start-up time and can fail where threads are scarce; the probe needs
/// none of that: a non-blocking connect with poll, then blocking reads and writes under kernel timeouts.
/// </summary>
internal sealed class NativeSocket : IProbeChannel
{
    private const int AfInet = 2, AfInet6 = 10, SockStream = 1, SockNonBlock = 0x800, SockCloexec = 0x80000;
    private const int SolSocket = 1, SoError = 4, PollOut = 4;
    private const int EInProgress = 115, EIntr = 4, EAgain = 11;

    private NativeSocket(int fd) => Fd = fd;

    public int Fd { get; }

    /// <summary>Connects before the deadline; null with a failure when refused, unreachable or out of time.</summary>
    public static unsafe NativeSocket? Connect(IPAddress address, int port, TimeSpan timeout, out ProbeResult? failure)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var fd = Libc.Socket(v6 ? AfInet6 : AfInet, SockStream | SockNonBlock | SockCloexec, 0);
        if (fd < 0)
        {
            failure = new(ProbeOutcome.Failed, "socket: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            return null;
        }

        var socket = new NativeSocket(fd);
        try
        {
            Span<byte> sockaddr = stackalloc byte[28];
            sockaddr.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, (ushort)(v6 ? AfInet6 : AfInet));
            BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], (ushort)port);
            if (v6)
            {
                address.TryWriteBytes(sockaddr[8..24], out _);
                BinaryPrimitives.WriteUInt32LittleEndian(sockaddr[24..], (uint)address.ScopeId);
            }
            else
            {
                address.TryWriteBytes(sockaddr[4..8], out _);
            }

            int result;
            fixed (byte* pointer = sockaddr)
            {
                result = Libc.Connect(fd, pointer, v6 ? 28u : 16u);
            }

            if (result != 0 && Marshal.GetLastPInvokeError() != EInProgress)
            {
                failure = new(ProbeOutcome.Unreachable, $"connect to {address}:{port}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                socket.Dispose();
                return null;
            }

            if (result != 0)
            {
                var poll = new PollFd { Fd = fd, Events = PollOut };
                int ready;
                do
                {
                    ready = Libc.Poll(&poll, 1, Math.Max(0, (int)timeout.TotalMilliseconds));
                }
                while (ready < 0 && Marshal.GetLastPInvokeError() == EIntr);

                if (ready == 0)
                {
                    failure = new(ProbeOutcome.TimedOut, $"connect to {address}:{port} timed out");
                    socket.Dispose();
                    return null;
                }

                int error = 0;
                var length = (uint)sizeof(int);
                if (ready < 0 || Libc.GetSockOpt(fd, SolSocket, SoError, &error, &length) != 0 || error != 0)
                {
                    failure = new(ProbeOutcome.Unreachable, $"connect to {address}:{port}: {Marshal.GetPInvokeErrorMessage(error)}");
                    socket.Dispose();
                    return null;
                }
            }

            if (!Libc.MakeBlockingWithTimeout(fd, timeout))
            {
                failure = new(ProbeOutcome.Failed, "could not set socket timeouts");
                socket.Dispose();
                return null;
            }

            failure = null;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public unsafe void Write(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var written = Libc.Write(Fd, start + done, (nuint)(bytes.Length - done));
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr)
                    {
                        continue;
                    }

                    throw errno == EAgain ? new ProbeTimeoutException() : new IOException(Marshal.GetPInvokeErrorMessage(errno));
                }

                done += (int)written;
            }
        }
    }

    public unsafe int Read(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var read = Libc.Read(Fd, start, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return (int)read;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != EIntr)
                {
                    throw errno == EAgain ? new ProbeTimeoutException() : new IOException(Marshal.GetPInvokeErrorMessage(errno));
                }
            }
        }
    }

    public void Dispose() => Libc.Close(Fd);
}
