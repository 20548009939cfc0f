using Azure.Core;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>
/// Where the blob service is (its endpoint, account name) and how requests to it are authorized. Built from a
/// connection string, a service URI with a SAS token, or an account URL with a Microsoft Entra ID credential.
/// </summary>
public sealed class BlobConnection
{
    /// <summary>The Azurite / storage emulator account, whose key is public by design.</summary>
    public const string DevelopmentAccount = "devstoreaccount1";
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private BlobConnection(Uri serviceUri, string? accountName, Func<string, BlobAuthorization> authorization)
    {
        ServiceUri = new Uri(serviceUri.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        AccountName = accountName is { Length: > 0 } ? accountName : AccountNameOf(ServiceUri);
        Authorization = authorization(AccountName);
    }

    /// <summary>The blob endpoint without a trailing slash or query, e.g. <c>https://acct.blob.core.windows.net</c>.</summary>
    public Uri ServiceUri { get; }

    public string AccountName { get; }

    /// <summary>The endpoint as a prefix for request URLs (never ends in '/').</summary>
    internal string Endpoint => ServiceUri.AbsoluteUri.TrimEnd('/');

    public BlobAuthorization Authorization { get; }

    /// <exception cref="FormatException">The connection string is malformed; the message never repeats its secrets.</exception>
    public static BlobConnection Parse(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("is not a connection string (expected Name=value pairs separated by ';').");
            }

            parts[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (parts.TryGetValue("UseDevelopmentStorage", out var development) && development.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return new BlobConnection(new Uri($"http://127.0.0.1:10000/{DevelopmentAccount}"), DevelopmentAccount, account => new SharedKeyAuthorization(account, Convert.FromBase64String(DevelopmentKey)));
        }

        var endpoint = parts.GetValueOrDefault("BlobEndpoint") is { Length: > 0 } blobEndpoint
            ? ParseEndpoint(blobEndpoint)
            : parts.GetValueOrDefault("AccountName") is { Length: > 0 } account
                ? new Uri($"{parts.GetValueOrDefault("DefaultEndpointsProtocol", "https")}://{account}.blob.{parts.GetValueOrDefault("EndpointSuffix", "core.windows.net")}")
                : throw new FormatException("needs BlobEndpoint or AccountName.");

        if (parts.GetValueOrDefault("SharedAccessSignature") is { Length: > 0 } sas)
        {
            return new BlobConnection(endpoint, parts.GetValueOrDefault("AccountName"), _ => new SasAuthorization(sas));
        }

        if (parts.GetValueOrDefault("AccountKey") is not { Length: > 0 } key)
        {
            throw new FormatException("needs AccountKey or SharedAccessSignature.");
        }

        byte[] keyBytes;
        try
        {
            keyBytes = Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            throw new FormatException("has an AccountKey that is not base64.");
        }

        return new BlobConnection(endpoint, parts.GetValueOrDefault("AccountName"), account => new SharedKeyAuthorization(account, keyBytes));
    }

    public static BlobConnection WithSas(Uri serviceUri, string sas) => new(serviceUri, null, _ => new SasAuthorization(sas));

    public static BlobConnection WithToken(Uri accountUrl, TokenCredential credential) => new(accountUrl, null, _ => new TokenAuthorization(credential));

    private static Uri ParseEndpoint(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException("has a BlobEndpoint that is not an absolute http(s) URL.");

    /// <summary>
    /// <c>acct.blob.core.windows.net</c> names the account in the host; emulators and IP endpoints
    /// (<c>127.0.0.1:10000/devstoreaccount1</c>) name it in the first path segment.
    /// </summary>
    private static string AccountNameOf(Uri serviceUri)
    {
        var path = serviceUri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            return path.Split('/')[0];
        }

        var host = serviceUri.Host;
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? host[..dot] : host;
    }
}
