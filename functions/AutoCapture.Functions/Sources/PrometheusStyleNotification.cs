using System.Globalization;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Sources;

/// <summary>
/// The notification shape Alertmanager and Grafana share: a group of alerts, each with status, labels,
/// annotations, startsAt/endsAt and a fingerprint. Each source checks its own envelope and adds its own extras.
/// </summary>
internal static class PrometheusStyleNotification
{
    public const int MaxAlerts = 2000;

    /// <summary>Checks the envelope (object, version) and returns the alerts array and group key.</summary>
    public static (JsonElement Alerts, string? GroupKey) Envelope(JsonElement root, string product, string expectedVersion)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"body must be a JSON object ({product} webhook payload), not {JsonFields.Describe(root)}");
        }

        var version = JsonFields.OptionalString(root, "version", string.Empty)
            ?? throw new AlertPayloadException($"version is required ({product} sends \"{expectedVersion}\")");
        if (version != expectedVersion)
        {
            throw new AlertPayloadException($"version \"{JsonFields.Shorten(version)}\" is not supported; expected \"{expectedVersion}\"");
        }

        if (!root.TryGetProperty("alerts", out var alerts))
        {
            throw new AlertPayloadException("alerts is required");
        }

        if (alerts.ValueKind != JsonValueKind.Array)
        {
            throw new AlertPayloadException($"alerts must be an array, not {JsonFields.Describe(alerts)}");
        }

        var count = alerts.GetArrayLength();
        if (count > MaxAlerts)
        {
            throw new AlertPayloadException($"alerts has {count} entries; the limit is {MaxAlerts}");
        }

        return (alerts, JsonFields.OptionalString(root, "groupKey", string.Empty));
    }

    /// <summary>Parses one alert; <paramref name="extras"/> lets a source add annotations from its own fields.</summary>
    public static Alert ParseAlert(JsonElement item, string path, string source, string? groupKey, Action<JsonElement, string, Dictionary<string, string>>? extras = null, string? senderUrl = null)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"{path.TrimEnd('.')} must be an object, not {JsonFields.Describe(item)}");
        }

        var statusText = JsonFields.RequiredString(item, "status", path);
        var status = statusText switch
        {
            "firing" => AlertStatus.Firing,
            "resolved" => AlertStatus.Resolved,
            _ => throw new AlertPayloadException($"{path}status \"{JsonFields.Shorten(statusText)}\" must be \"firing\" or \"resolved\""),
        };
        var labels = JsonFields.StringMap(item, "labels", path, required: true);
        var annotations = JsonFields.StringMap(item, "annotations", path, required: false);
        extras?.Invoke(item, path, annotations);
        var startsAt = JsonFields.OptionalTimestamp(item, "startsAt", path)
            ?? throw new AlertPayloadException($"{path}startsAt is required");
        var endsAt = JsonFields.OptionalTimestamp(item, "endsAt", path);
        if (endsAt is { Year: <= 1 })
        {
            // Go's zero time: the alert has not ended.
            endsAt = null;
        }

        var fingerprint = JsonFields.OptionalString(item, "fingerprint", path) is { Length: > 0 } given
            ? given
            : FingerprintOf(labels);
        return new Alert(
            Source: source,
            Name: labels.GetValueOrDefault("alertname") ?? string.Empty,
            Status: status,
            Labels: labels,
            Annotations: annotations,
            StartsAt: startsAt,
            EndsAt: endsAt,
            Fingerprint: fingerprint,
            InstanceId: $"{fingerprint}@{startsAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}",
            GeneratorUrl: JsonFields.OptionalString(item, "generatorURL", path),
            GroupKey: groupKey,
            SenderUrl: senderUrl);
    }

    public static List<Alert> ParseAlerts(JsonElement alerts, string source, string? groupKey, Action<JsonElement, string, Dictionary<string, string>>? extras = null, string? senderUrl = null)
    {
        var result = new List<Alert>(alerts.GetArrayLength());
        var index = 0;
        foreach (var item in alerts.EnumerateArray())
        {
            result.Add(ParseAlert(item, $"alerts[{index++}].", source, groupKey, extras, senderUrl));
        }

        return result;
    }

    /// <summary>Old senders may omit the fingerprint; derive one from the label set, as Alertmanager does (FNV-1a over sorted labels).</summary>
    public static string FingerprintOf(IReadOnlyDictionary<string, string> labels)
    {
        var hash = 14695981039346656037UL;
        foreach (var (name, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            foreach (var b in Encoding.UTF8.GetBytes(name).Append((byte)0xff).Concat(Encoding.UTF8.GetBytes(value)).Append((byte)0xff))
            {
                hash = (hash ^ b) * 1099511628211UL;
            }
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
