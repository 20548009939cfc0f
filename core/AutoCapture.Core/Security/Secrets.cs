using System.Security.Cryptography;
using System.Text;

namespace AutoCapture.Core.Security;

public static class Secrets
{
    /// <summary>How a secret appears in logs and effective-configuration dumps: set or not, never its value.</summary>
    public static string Mask(string? secret) => string.IsNullOrEmpty(secret) ? "(not set)" : "***";

    /// <summary>Compares secrets in time independent of where they differ (length still leaks, as with any HMAC-less compare).</summary>
    public static bool FixedTimeEquals(string? expected, string? actual)
    {
        if (expected is null || actual is null)
        {
            return false;
        }

        // Hash both first so the comparison is over equal lengths and the secret's length does not leak.
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(actual)));
    }
}
