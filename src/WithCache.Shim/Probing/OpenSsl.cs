using System.Runtime.InteropServices;

namespace WithCache.Shim.Probing;

/// <summary>
/// The few OpenSSL 3 calls a TLS probe needs. libssl is loaded only when an https cache-host is probed (these
/// imports are not bound at link time), so the common paths pay nothing for it; SslStream would add 3.4 MB to the
/// binary and about 1 ms to every start.
/// </summary>
internal static partial class OpenSsl
{
    public const int VerifyPeer = 1;
    private const string Library = "libssl.so.3";
    private const int ControlSetTlsExtHostName = 55;
    private const int NameTypeHostName = 0;

    [LibraryImport(Library, EntryPoint = "TLS_client_method")]
    public static partial nint TlsClientMethod();

    [LibraryImport(Library, EntryPoint = "SSL_CTX_new")]
    public static partial nint ContextNew(nint method);

    [LibraryImport(Library, EntryPoint = "SSL_CTX_free")]
    public static partial void ContextFree(nint context);

    [LibraryImport(Library, EntryPoint = "SSL_CTX_set_default_verify_paths")]
    public static partial int ContextSetDefaultVerifyPaths(nint context);

    [LibraryImport(Library, EntryPoint = "SSL_CTX_set_verify")]
    public static partial void ContextSetVerify(nint context, int mode, nint callback);

    [LibraryImport(Library, EntryPoint = "SSL_new")]
    public static partial nint New(nint context);

    [LibraryImport(Library, EntryPoint = "SSL_free")]
    public static partial void Free(nint ssl);

    [LibraryImport(Library, EntryPoint = "SSL_set_fd")]
    public static partial int SetFd(nint ssl, int fd);

    [LibraryImport(Library, EntryPoint = "SSL_set1_host", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetHost(nint ssl, string host);

    [LibraryImport(Library, EntryPoint = "SSL_ctrl", StringMarshalling = StringMarshalling.Utf8)]
    private static partial long Control(nint ssl, int command, long value, string parameter);

    [LibraryImport(Library, EntryPoint = "SSL_connect")]
    public static partial int Connect(nint ssl);

    [LibraryImport(Library, EntryPoint = "SSL_write")]
    public static unsafe partial int Write(nint ssl, byte* buffer, int length);

    [LibraryImport(Library, EntryPoint = "SSL_read")]
    public static unsafe partial int Read(nint ssl, byte* buffer, int length);

    [LibraryImport("libcrypto.so.3", EntryPoint = "ERR_get_error")]
    private static partial ulong GetError();

    [LibraryImport("libcrypto.so.3", EntryPoint = "ERR_error_string_n")]
    private static unsafe partial void ErrorString(ulong error, byte* buffer, nuint length);

    /// <summary>OpenSSL's reason for the last failure on this thread, e.g. "certificate verify failed".</summary>
    public static unsafe string LastError()
    {
        var error = GetError();
        if (error == 0)
        {
            return "no detail";
        }

        var buffer = stackalloc byte[256];
        ErrorString(error, buffer, 256);
        return Marshal.PtrToStringUTF8((nint)buffer) ?? "no detail";
    }

    /// <summary>Server Name Indication: the macro SSL_set_tlsext_host_name is this SSL_ctrl call.</summary>
    public static bool SetServerName(nint ssl, string host) => Control(ssl, ControlSetTlsExtHostName, NameTypeHostName, host) == 1;
}
