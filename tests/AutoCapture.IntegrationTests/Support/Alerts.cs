using System.Text.Json;
using AutoCapture.Core.Json;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>Alertmanager webhook payloads (version 4) as Alertmanager sends them.</summary>
public static class Alerts
{
    public sealed record Spec(Dictionary<string, string> Labels, string Status = "firing", string? Fingerprint = null, DateTimeOffset? StartsAt = null);

    public static Spec Firing(string alertname, params (string Key, string Value)[] labels)
    {
        var all = new Dictionary<string, string> { ["alertname"] = alertname };
        foreach (var (key, value) in labels)
        {
            all[key] = value;
        }

        return new Spec(all);
    }

    public static string Payload(params Spec[] alerts) => GroupPayload("{}:{alertname=\"x\"}", alerts);

    /// <summary>One delivery of the alert group <paramref name="groupKey"/>.</summary>
    public static string GroupPayload(string groupKey, IEnumerable<Spec> alerts)
    {
        var startsAt = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>
        {
            ["version"] = "4",
            ["groupKey"] = groupKey,
            ["truncatedAlerts"] = 0,
            ["status"] = alerts.Any(a => a.Status == "firing") ? "firing" : "resolved",
            ["receiver"] = "autocapture",
            ["groupLabels"] = new Dictionary<string, string>(),
            ["commonLabels"] = new Dictionary<string, string>(),
            ["commonAnnotations"] = new Dictionary<string, string>(),
            ["externalURL"] = "http://alertmanager:9093",
            ["alerts"] = alerts.Select(a => new Dictionary<string, object>
            {
                ["status"] = a.Status,
                ["labels"] = a.Labels,
                ["annotations"] = new Dictionary<string, string> { ["summary"] = "test" },
                ["startsAt"] = (a.StartsAt ?? startsAt).ToString("O"),
                ["endsAt"] = "0001-01-01T00:00:00Z",
                ["generatorURL"] = "http://prometheus:9090/graph",
                ["fingerprint"] = a.Fingerprint ?? Guid.NewGuid().ToString("N")[..16],
            }).ToList(),
        };
        return JsonSerializer.Serialize(payload, AutoCaptureJson.Options);
    }
}
