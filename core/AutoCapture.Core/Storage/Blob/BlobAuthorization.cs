using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>How a request to the blob service proves who sends it. Applied to each attempt just before it is sent.</summary>
public abstract class BlobAuthorization
{
    internal abstract string Kind { get; }

    internal abstract ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken);
}

/// <summary>Shared Key: an HMAC-SHA256 of the canonical request under the account key.</summary>
public sealed class SharedKeyAuthorization(string accountName, byte[] accountKey) : BlobAuthorization
{
    internal override string Kind => "account key";

    internal string AccountName => accountName;

    internal byte[] AccountKey => accountKey;

    internal override ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var signature = Convert.ToBase64String(HMACSHA256.HashData(accountKey, Encoding.UTF8.GetBytes(StringToSign(request))));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {accountName}:{signature}");
        return ValueTask.CompletedTask;
    }

    /// <summary>The Shared Key string-to-sign (service version 2015-02-21 and later: a zero Content-Length signs as empty).</summary>
    internal string StringToSign(HttpRequestMessage request)
    {
        var content = request.Content?.Headers;
        var length = content?.ContentLength is { } l && l > 0 ? l.ToString(CultureInfo.InvariantCulture) : "";
        var builder = new StringBuilder()
            .Append(request.Method.Method).Append('\n')
            .Append(Header(content, "Content-Encoding")).Append('\n')
            .Append(Header(content, "Content-Language")).Append('\n')
            .Append(length).Append('\n')
            .Append(Header(content, "Content-MD5")).Append('\n')
            .Append(Header(content, "Content-Type")).Append('\n')
            .Append(Header(request.Headers, "Date")).Append('\n')
            .Append(Header(request.Headers, "If-Modified-Since")).Append('\n')
            .Append(Header(request.Headers, "If-Match")).Append('\n')
            .Append(Header(request.Headers, "If-None-Match")).Append('\n')
            .Append(Header(request.Headers, "If-Unmodified-Since")).Append('\n')
            .Append(Header(request.Headers, "Range")).Append('\n');

        var msHeaders = request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(",", h.Value).Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal);
        foreach (var (name, value) in msHeaders)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        var uri = request.RequestUri!;
        builder.Append('/').Append(accountName).Append(uri.AbsolutePath);
        var query = QueryParameters(uri.Query)
            .GroupBy(p => p.Name.ToLowerInvariant(), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in query)
        {
            builder.Append('\n').Append(group.Key).Append(':').Append(string.Join(",", group.Select(p => p.Value).Order(StringComparer.Ordinal)));
        }

        return builder.ToString();
    }

    private static string Header(System.Net.Http.Headers.HttpHeaders? headers, string name) =>
        headers is not null && headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    private static IEnumerable<(string Name, string Value)> QueryParameters(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            yield return equals < 0
                ? (Uri.UnescapeDataString(pair), "")
                : (Uri.UnescapeDataString(pair[..equals]), Uri.UnescapeDataString(pair[(equals + 1)..]));
        }
    }
}

/// <summary>A shared access signature: the token goes in the query string of every request.</summary>
public sealed class SasAuthorization : BlobAuthorization
{
    private readonly string _token;

    public SasAuthorization(string token)
    {
        _token = token.TrimStart('?');
        if (!_token.Contains("sig=", StringComparison.Ordinal))
        {
            throw new FormatException("is not a SAS token (it has no sig= parameter).");
        }
    }

    internal override string Kind => "SAS";

    internal override ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var separator = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
        request.RequestUri = new Uri(uri.AbsoluteUri + separator + _token);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A Microsoft Entra ID bearer token for Azure Storage, reused until shortly before it expires. Concurrent
/// refreshes may each ask the credential; that is harmless (Azure.Identity caches too) and needs no lock.
/// </summary>
public sealed class TokenAuthorization(TokenCredential credential) : BlobAuthorization
{
    public const string Scope = "https://storage.azure.com/.default";
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private volatile StrongBox<AccessToken>? _token;

    internal override string Kind => "Entra ID token";

    internal override async ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await GetTokenAsync(cancellationToken);
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
    }

    internal async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_token is { } cached && cached.Value.ExpiresOn - RefreshMargin > DateTimeOffset.UtcNow)
        {
            return cached.Value.Token;
        }

        try
        {
            var fresh = await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken);
            _token = new StrongBox<AccessToken>(fresh);
            return fresh.Token;
        }
        catch (Exception e) when (e is Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException or Azure.RequestFailedException)
        {
            throw new StoreException($"Could not get a Microsoft Entra ID token for Azure Storage: {e.Message}", e);
        }
    }
}
