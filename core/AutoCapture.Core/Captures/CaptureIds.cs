using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AutoCapture.Core.Alerts;

namespace AutoCapture.Core.Captures;

/// <summary>
/// Capture ids are <c>yyyyMMdd-</c> plus 16 hex digits. They are derived from the alert instance and the rule,
/// so every webhook app instance that sees the same alert computes the same id, and the create-if-absent
/// write of its manifest is the dedup decision. The date part places the manifest in the store layout.
/// </summary>
public static partial class CaptureIds
{
    [GeneratedRegex(@"^[0-9]{8}-[0-9a-f]{16}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool IsValid(string? id) =>
        id is not null && Shape().IsMatch(id)
        && DateTime.TryParseExact(id[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    public static string ForAlertInstance(string rule, Alert alert)
    {
        // Derived for every alert of every delivery: hashed from a stack buffer when it fits, as most identities do.
        var identity = $"{alert.Source}\n{rule}\n{alert.InstanceId}";
        var length = Encoding.UTF8.GetMaxByteCount(identity.Length);
        var rented = length > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[length];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(identity, utf8)], hash);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{alert.StartsAt.UtcDateTime:yyyyMMdd}-{Convert.ToHexStringLower(hash[..8])}");
    }

    public static string NewRandom(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

    /// <summary>The store folder of a capture: <c>captures/yyyy/MM/dd/{id}/</c>.</summary>
    public static string Prefix(string id)
    {
        if (!IsValid(id))
        {
            throw new ArgumentException($"'{id}' is not a capture id (expected yyyyMMdd- and 16 hex digits).", nameof(id));
        }

        return $"captures/{id[..4]}/{id[4..6]}/{id[6..8]}/{id}/";
    }

    public static string ManifestKey(string id) => Prefix(id) + "manifest.json";

    public static string ResultKey(string id) => Prefix(id) + "result.json";

    public static string ArtifactKey(string id, string artifactName)
    {
        if (!ArtifactNames.IsValid(artifactName))
        {
            throw new ArgumentException($"'{artifactName}' is not a valid artifact name.", nameof(artifactName));
        }

        return Prefix(id) + artifactName;
    }
}

/// <summary>Artifact names are plain file names, so nothing a request carries can walk the store's paths.</summary>
public static partial class ArtifactNames
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool IsValid(string? name) => name is not null && Shape().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);
}
