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

    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "signal")]
    public static partial nint Signal(int signal, nint handler);

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
