using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace WithCache.Server.Ui.Auth;

/// <summary>
/// The Data Protection key ring when <c>WITHCACHE_SESSION_SECRET</c> is set: one key whose id and master key are
/// derived from the secret with HKDF, so every cache-host given the same secret reads the others' session cookies
/// and nothing is written to disk. Data Protection still does all the cryptography; only the key material comes
/// from the operator.
/// </summary>
internal sealed class SecretKeyRepository : IXmlRepository
{
    private readonly XElement _key;

    public SecretKeyRepository(string secret)
    {
        var ikm = Encoding.UTF8.GetBytes(secret);
        var masterKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 64, salt: [], info: "withcache session master key"u8.ToArray());
        var id = new Guid(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt: [], info: "withcache session key id"u8.ToArray()));
        XNamespace dp = "http://schemas.asp.net/2015/03/dataProtection";
        var since = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToString("O", CultureInfo.InvariantCulture);
        var until = new DateTimeOffset(2999, 1, 1, 0, 0, 0, TimeSpan.Zero).ToString("O", CultureInfo.InvariantCulture);
        _key = new XElement("key",
            new XAttribute("id", id),
            new XAttribute("version", 1),
            new XElement("creationDate", since),
            new XElement("activationDate", since),
            new XElement("expirationDate", until),
            new XElement("descriptor",
                new XAttribute("deserializerType", typeof(AuthenticatedEncryptorDescriptorDeserializer).AssemblyQualifiedName!),
                new XElement("descriptor",
                    new XElement("encryption", new XAttribute("algorithm", "AES_256_CBC")),
                    new XElement("validation", new XAttribute("algorithm", "HMACSHA256")),
                    new XElement("masterKey",
                        new XAttribute(dp + "requiresEncryption", "true"),
                        new XElement("value", Convert.ToBase64String(masterKey))))));
    }

    public IReadOnlyCollection<XElement> GetAllElements() => [new XElement(_key)];

    public void StoreElement(XElement element, string friendlyName)
    {
        // The one key never changes and automatic key generation is off, so there is nothing to store.
    }
}
