using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Sources;

/// <summary>
/// Prometheus Alertmanager's webhook payload, version "4". Fields added by newer Alertmanagers are ignored;
/// the ones AutoCapture relies on are checked and reported by path when wrong.
/// </summary>
public sealed class AlertmanagerSource : IAlertSource
{
    public string Name => "alertmanager";

    /// <summary>The fingerprint Alertmanager gives an alert with these labels.</summary>
    public static string Fingerprint(IReadOnlyDictionary<string, string> labels) => PrometheusStyleNotification.FingerprintOf(labels);

    public IReadOnlyList<Alert> Parse(ReadOnlyMemory<byte> body)
    {
        using var document = JsonFields.ParseDocument(body);
        var (alerts, groupKey) = PrometheusStyleNotification.Envelope(document.RootElement, "Alertmanager", "4");
        var externalUrl = JsonFields.OptionalString(document.RootElement, "externalURL", string.Empty);
        return PrometheusStyleNotification.ParseAlerts(alerts, Name, groupKey, senderUrl: externalUrl);
    }
}
