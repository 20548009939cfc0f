using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>What a SAS grants: permissions on one container or one blob, until an expiry, optionally overriding response headers.</summary>
public sealed record SasGrant(
    string Container,
    string? BlobName,
    string Permissions,
    DateTimeOffset ExpiresOn,
    DateTimeOffset? StartsOn = null,
    string? ContentType = null,
    string? ContentDisposition = null)
{
    internal string Resource => BlobName is null ? "c" : "b";

    internal string CanonicalName(string account) => BlobName is null ? $"/blob/{account}/{Container}" : $"/blob/{account}/{Container}/{BlobName}";
}

/// <summary>A user delegation key (Get User Delegation Key): signs SAS tokens on behalf of an Entra ID principal.</summary>
public sealed record UserDelegationKey(
    string ObjectId,
    string TenantId,
    DateTimeOffset StartsOn,
    DateTimeOffset ExpiresOn,
    string Service,
    string Version,
    byte[] Value);

/// <summary>
/// Builds SAS tokens (signed version 2020-12-06 string-to-sign): a service SAS signed with the account key,
/// or a user delegation SAS signed with a key obtained with an Entra ID token.
/// </summary>
public static class BlobSas
{
    public const string SignedVersion = "2020-12-06";

    public static string CreateServiceSas(SharedKeyAuthorization key, SasGrant grant)
    {
        var start = Format(grant.StartsOn);
        var expiry = Format(grant.ExpiresOn);
        var toSign = string.Join('\n',
            grant.Permissions,
            start,
            expiry,
            grant.CanonicalName(key.AccountName),
            "", // signed identifier (stored access policy)
            "", // signed IP
            "", // signed protocol
            SignedVersion,
            grant.Resource,
            "", // snapshot time
            "", // encryption scope
            "", // rscc
            grant.ContentDisposition ?? "",
            "", // rsce
            "", // rscl
            grant.ContentType ?? "");
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key.AccountKey, Encoding.UTF8.GetBytes(toSign)));
        return Query(grant, start, expiry, signature, []);
    }

    public static string CreateUserDelegationSas(string accountName, UserDelegationKey key, SasGrant grant)
    {
        var start = Format(grant.StartsOn);
        var expiry = Format(grant.ExpiresOn);
        var keyStart = Format(key.StartsOn);
        var keyExpiry = Format(key.ExpiresOn);
        var toSign = string.Join('\n',
            grant.Permissions,
            start,
            expiry,
            grant.CanonicalName(accountName),
            key.ObjectId,
            key.TenantId,
            keyStart,
            keyExpiry,
            key.Service,
            key.Version,
            "", // authorized user object id
            "", // unauthorized user object id
            "", // correlation id
            "", // signed IP
            "", // signed protocol
            SignedVersion,
            grant.Resource,
            "", // snapshot time
            "", // encryption scope
            "", // rscc
            grant.ContentDisposition ?? "",
            "", // rsce
            "", // rscl
            grant.ContentType ?? "");
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key.Value, Encoding.UTF8.GetBytes(toSign)));
        return Query(grant, start, expiry, signature,
        [
            ("skoid", key.ObjectId),
            ("sktid", key.TenantId),
            ("skt", keyStart),
            ("ske", keyExpiry),
            ("sks", key.Service),
            ("skv", key.Version),
        ]);
    }

    private static string Query(SasGrant grant, string start, string expiry, string signature, IEnumerable<(string Name, string Value)> keyParameters)
    {
        var parameters = new List<(string Name, string Value)> { ("sv", SignedVersion) };
        if (start.Length > 0)
        {
            parameters.Add(("st", start));
        }

        parameters.Add(("se", expiry));
        parameters.Add(("sr", grant.Resource));
        parameters.Add(("sp", grant.Permissions));
        parameters.AddRange(keyParameters);
        if (grant.ContentDisposition is { } disposition)
        {
            parameters.Add(("rscd", disposition));
        }

        if (grant.ContentType is { } contentType)
        {
            parameters.Add(("rsct", contentType));
        }

        parameters.Add(("sig", signature));
        return string.Join('&', parameters.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));
    }

    private static string Format(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "";
}
