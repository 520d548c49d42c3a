using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WithCache.Shim.Tests.TestSupport;

/// <summary>A self-signed certificate for localhost, made per test run, and its PEM file for clients to trust.</summary>
public static class TestCertificate
{
    private static readonly Lazy<(X509Certificate2 Certificate, string PemPath)> Made = new(Make);

    public static X509Certificate2 Certificate => Made.Value.Certificate;

    /// <summary>A PEM bundle holding only this certificate: SSL_CERT_FILE for OpenSSL, CURL_CA_BUNDLE for curl.</summary>
    public static string PemPath => Made.Value.PemPath;

    private static (X509Certificate2, string) Make()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // Kestrel needs the private key in a form it can use on Linux: round-trip through PKCS#12.
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
        var path = Path.Combine(TempDirectory.Shared("tls"), "cache.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return (certificate, path);
    }
}
