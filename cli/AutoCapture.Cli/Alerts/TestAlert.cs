using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Json;
using AutoCapture.Functions.Sources;

namespace AutoCapture.Cli.Alerts;

/// <summary>The senders whose webhooks the app takes: <c>POST /api/alerts/{source}</c>.</summary>
public enum AlertSourceKind
{
    Alertmanager,
    Grafana,
    AzureMonitor,
}

/// <summary>
/// One alert as an SRE describes it on the command line, written out as its sender would post it: Alertmanager's
/// webhook v4, Grafana's v1, or Azure Monitor's common alert schema with the labels of a managed Prometheus alert.
/// </summary>
internal sealed record TestAlert(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, bool Resolved)
{
    /// <summary>Go's zero time: Alertmanager's endsAt of an alert still firing.</summary>
    private const string NotEnded = "0001-01-01T00:00:00Z";

    public static string RouteOf(AlertSourceKind source) => source.ToString().ToLowerInvariant();

    /// <summary>The payload, started (and if resolved, ended) at <paramref name="now"/>, so each send is a new alert instance.</summary>
    public byte[] Payload(AlertSourceKind source, DateTimeOffset now)
    {
        var labels = new Dictionary<string, string> { ["alertname"] = Name };
        foreach (var (name, value) in Labels)
        {
            labels[name] = value;
        }

        var at = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        object payload = source switch
        {
            AlertSourceKind.Alertmanager => Alertmanager(labels, at),
            AlertSourceKind.Grafana => Grafana(labels, at),
            AlertSourceKind.AzureMonitor => AzureMonitor(labels, at),
            _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
        };
        return JsonSerializer.SerializeToUtf8Bytes(payload, AutoCaptureJson.Indented);
    }

    private string Status => Resolved ? "resolved" : "firing";

    private Dictionary<string, object> Alertmanager(Dictionary<string, string> labels, string at) => new()
    {
        ["version"] = "4",
        ["groupKey"] = $"{{}}:{{alertname={JsonSerializer.Serialize(Name)}}}",
        ["truncatedAlerts"] = 0,
        ["status"] = Status,
        ["receiver"] = "autocapture",
        ["groupLabels"] = new Dictionary<string, string> { ["alertname"] = Name },
        ["commonLabels"] = labels,
        ["commonAnnotations"] = Annotations,
        ["externalURL"] = string.Empty,
        ["alerts"] = new[] { PrometheusStyleAlert(labels, at) },
    };

    private Dictionary<string, object> Grafana(Dictionary<string, string> labels, string at)
    {
        var payload = Alertmanager(labels, at);
        payload["version"] = "1";
        payload["orgId"] = 1;
        payload["state"] = Resolved ? "ok" : "alerting";
        payload["title"] = $"[{Status.ToUpperInvariant()}:1] {Name}";
        payload["message"] = string.Empty;
        return payload;
    }

    private Dictionary<string, object> PrometheusStyleAlert(Dictionary<string, string> labels, string at) => new()
    {
        ["status"] = Status,
        ["labels"] = labels,
        ["annotations"] = Annotations,
        ["startsAt"] = at,
        ["endsAt"] = Resolved ? at : NotEnded,
        ["generatorURL"] = string.Empty,
        ["fingerprint"] = AlertmanagerSource.Fingerprint(labels),
    };

    private object AzureMonitor(Dictionary<string, string> labels, string at)
    {
        // Azure names each fired alert with a GUID; derived here from the labels and start, so a resolve sent for the
        // same start names the same alert.
        var id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{AlertmanagerSource.Fingerprint(labels)}@{at}"))[..16]);
        var essentials = new Dictionary<string, object>
        {
            ["alertId"] = $"/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.AlertsManagement/alerts/{id}",
            ["alertRule"] = Name,
            // The app takes essentials.severity over the labels' severity, so the two must agree.
            ["severity"] = labels.GetValueOrDefault("severity", "Sev3"),
            ["signalType"] = "Metric",
            ["monitorCondition"] = Resolved ? "Resolved" : "Fired",
            ["monitoringService"] = "Prometheus",
            ["alertTargetIDs"] = Array.Empty<string>(),
            ["configurationItems"] = Array.Empty<string>(),
            ["originAlertId"] = id.ToString(),
            ["firedDateTime"] = at,
            ["essentialsVersion"] = "1.0",
            ["alertContextVersion"] = "1.0",
        };
        if (Resolved)
        {
            essentials["resolvedDateTime"] = at;
        }

        return new
        {
            schemaId = AzureMonitorSource.SchemaId,
            data = new { essentials, alertContext = new { labels, annotations = Annotations } },
        };
    }
}
