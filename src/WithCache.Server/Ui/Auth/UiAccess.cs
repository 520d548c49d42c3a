using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace WithCache.Server.Ui.Auth;

/// <summary>Whether the UI needs a login, and the password check (constant time; the password itself is not kept).</summary>
internal sealed class UiAccess
{
    private readonly byte[]? _passwordHash;

    public UiAccess(IOptions<UiOptions> options)
    {
        var password = options.Value.AdminPassword;
        _passwordHash = string.IsNullOrEmpty(password) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(password));
    }

    public bool IsOpen => _passwordHash is null;

    public bool CheckPassword(string? candidate)
    {
        if (_passwordHash is null || candidate is null)
        {
            return false;
        }

        // Hashing first makes both sides the same length, so the comparison time says nothing about the password.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), _passwordHash);
    }
}
