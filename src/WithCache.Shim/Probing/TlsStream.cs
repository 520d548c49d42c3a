namespace WithCache.Shim.Probing;

/// <summary>
/// A blocking TLS client over a connected socket through OpenSSL: verifies the certificate chain against the
/// system store (OpenSSL's default paths; <c>SSL_CERT_FILE</c> and <c>SSL_CERT_DIR</c> apply) and the host name.
/// Timeouts are the socket's kernel timeouts (see <see cref="NativeSocket"/>).
/// </summary>
internal sealed class TlsStream : IProbeChannel
{
    private readonly nint _context;
    private readonly nint _ssl;

    private TlsStream(nint context, nint ssl)
    {
        _context = context;
        _ssl = ssl;
    }

    /// <summary>Handshakes as a client of <paramref name="host"/> over <paramref name="fd"/>; throws <see cref="IOException"/> when TLS fails.</summary>
    public static TlsStream Connect(int fd, string host)
    {
        nint context;
        try
        {
            context = OpenSsl.ContextNew(OpenSsl.TlsClientMethod());
        }
        catch (DllNotFoundException)
        {
            throw new IOException("libssl.so.3 (OpenSSL 3) is not installed; cannot probe an https cache-host");
        }

        if (context == 0)
        {
            throw new IOException("OpenSSL could not create a TLS context");
        }

        nint ssl = 0;
        var stream = default(TlsStream);
        try
        {
            _ = OpenSsl.ContextSetDefaultVerifyPaths(context);
            OpenSsl.ContextSetVerify(context, OpenSsl.VerifyPeer, 0);
            ssl = OpenSsl.New(context);
            if (ssl == 0 || OpenSsl.SetFd(ssl, fd) != 1 || !OpenSsl.SetServerName(ssl, host) || OpenSsl.SetHost(ssl, host) != 1)
            {
                throw new IOException("OpenSSL could not set up the TLS session");
            }

            if (OpenSsl.Connect(ssl) != 1)
            {
                throw new IOException($"TLS handshake with {host} failed: {OpenSsl.LastError()}");
            }

            stream = new TlsStream(context, ssl);
            return stream;
        }
        finally
        {
            if (stream is null)
            {
                if (ssl != 0)
                {
                    OpenSsl.Free(ssl);
                }

                OpenSsl.ContextFree(context);
            }
        }
    }

    public unsafe void Write(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            if (OpenSsl.Write(_ssl, start, bytes.Length) != bytes.Length)
            {
                throw new IOException("TLS write failed");
            }
        }
    }

    public unsafe int Read(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var read = OpenSsl.Read(_ssl, start, buffer.Length);
            return read > 0 ? read : 0;
        }
    }

    public void Dispose()
    {
        OpenSsl.Free(_ssl);
        OpenSsl.ContextFree(_context);
    }
}
