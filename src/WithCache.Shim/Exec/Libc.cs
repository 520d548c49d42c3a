using System.Runtime.InteropServices;

namespace WithCache.Shim.Exec;

/// <summary>The few libc calls the shim needs. The AOT build binds them directly (DirectPInvoke), no dlopen.</summary>
internal static partial class Libc
{
    public const int SigPipe = 13;
    public const int XOk = 1;

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Execv(string path, nint[] argv);

    [LibraryImport("libc", EntryPoint = "setenv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Setenv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Realpath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static unsafe partial int Connect(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static unsafe partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "signal")]
    public static partial nint Signal(int signal, nint handler);

    /// <summary>
    /// Puts a socket in plain blocking mode with kernel send and receive timeouts, for code that does its own I/O on
    /// the descriptor (OpenSSL): .NET keeps descriptors non-blocking and only emulates its timeouts.
    /// </summary>
    public static unsafe bool MakeBlockingWithTimeout(int fd, TimeSpan timeout)
    {
        const int GetFlags = 3, SetFlags = 4, NonBlocking = 0x800, SolSocket = 1, ReceiveTimeout = 20, SendTimeout = 21;
        var flags = Fcntl(fd, GetFlags, 0);
        if (flags < 0 || Fcntl(fd, SetFlags, flags & ~NonBlocking) < 0)
        {
            return false;
        }

        var micros = Math.Max(1000L, (long)(timeout.TotalMilliseconds * 1000));
        var value = stackalloc long[2];
        value[0] = micros / 1_000_000;
        value[1] = micros % 1_000_000;
        return SetSockOpt(fd, SolSocket, ReceiveTimeout, value, 16) == 0 && SetSockOpt(fd, SolSocket, SendTimeout, value, 16) == 0;
    }

    /// <summary>The canonical absolute path with every link resolved, or null when it does not exist.</summary>
    public static string? FindRealPath(string path)
    {
        var resolved = Realpath(path, 0);
        if (resolved == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }
}
