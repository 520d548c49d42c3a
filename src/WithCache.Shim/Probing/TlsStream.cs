using System.Net.Sockets;

namespace WithCache.Shim.Probing;

/// <summary>
/// A blocking TLS client over a connected socket through OpenSSL: verifies the certificate chain against the
/// system store (OpenSSL's default paths; <c>SSL_CERT_FILE</c> and <c>SSL_CERT_DIR</c> apply) and the host name.
/// Timeouts come from the socket's send and receive timeouts.
/// </summary>
internal sealed class TlsStream : Stream
{
    private readonly nint _context;
    private readonly nint _ssl;

    private TlsStream(nint context, nint ssl)
    {
        _context = context;
        _ssl = ssl;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Handshakes as a client of <paramref name="host"/>; throws <see cref="IOException"/> when TLS fails.</summary>
    public static TlsStream Connect(Socket socket, string host, TimeSpan timeout)
    {
        if (!Exec.Libc.MakeBlockingWithTimeout((int)socket.Handle, timeout))
        {
            throw new IOException("could not set the socket up for TLS");
        }

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
            if (ssl == 0 || OpenSsl.SetFd(ssl, (int)socket.Handle) != 1 || !OpenSsl.SetServerName(ssl, host)
                || OpenSsl.SetHost(ssl, host) != 1)
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

    public override unsafe int Read(byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        fixed (byte* start = &buffer[offset])
        {
            var read = OpenSsl.Read(_ssl, start, count);
            return read > 0 ? read : 0;
        }
    }

    public override unsafe void Write(byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        fixed (byte* start = &buffer[offset])
        {
            if (OpenSsl.Write(_ssl, start, count) != count)
            {
                throw new IOException("TLS write failed");
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        OpenSsl.Free(_ssl);
        OpenSsl.ContextFree(_context);
        base.Dispose(disposing);
    }
}
