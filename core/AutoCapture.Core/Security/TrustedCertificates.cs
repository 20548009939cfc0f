using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace AutoCapture.Core.Security;

/// <summary>
/// HTTPS between the webhook app and collectors with a private CA or a self-signed certificate: the PEM file is
/// trusted in addition to the system's roots. The host name must still match, and nothing else is relaxed.
/// </summary>
public static class TrustedCertificates
{
    public static SocketsHttpHandler Handler(string? pemPath)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (string.IsNullOrEmpty(pemPath))
        {
            return handler;
        }

        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(pemPath);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            // Only an untrusted chain may be rescued by the configured root; a name mismatch never is.
            if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var presented = new X509Certificate2(certificate);
            return chain.Build(presented);
        };
        return handler;
    }
}
