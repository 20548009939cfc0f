using System.Globalization;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Sources;

/// <summary>
/// Prometheus Alertmanager's webhook payload, version "4". Fields added by newer Alertmanagers are ignored;
/// the ones AutoCapture relies on are checked and reported by path when wrong.
/// </summary>
public sealed class AlertmanagerSource : IAlertSource
{
    public const int MaxAlerts = 2000;

    public string Name => "alertmanager";

    public IReadOnlyList<Alert> Parse(ReadOnlyMemory<byte> body)
    {
        using var document = JsonFields.ParseDocument(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"body must be a JSON object (Alertmanager webhook payload), not {JsonFields.Describe(root)}");
        }

        var version = JsonFields.OptionalString(root, "version", string.Empty)
            ?? throw new AlertPayloadException("version is required (Alertmanager sends \"4\")");
        if (version != "4")
        {
            throw new AlertPayloadException($"version \"{JsonFields.Shorten(version)}\" is not supported; expected \"4\"");
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

        var groupKey = JsonFields.OptionalString(root, "groupKey", string.Empty);
        var result = new List<Alert>(count);
        var index = 0;
        foreach (var item in alerts.EnumerateArray())
        {
            result.Add(ParseAlert(item, $"alerts[{index++}].", groupKey));
        }

        return result;
    }

    private Alert ParseAlert(JsonElement item, string path, string? groupKey)
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
        var startsAt = JsonFields.OptionalTimestamp(item, "startsAt", path)
            ?? throw new AlertPayloadException($"{path}startsAt is required");
        var endsAt = JsonFields.OptionalTimestamp(item, "endsAt", path);
        if (endsAt is { Year: <= 1 })
        {
            // Alertmanager sends Go's zero time for alerts that have not ended.
            endsAt = null;
        }

        var fingerprint = JsonFields.OptionalString(item, "fingerprint", path) is { Length: > 0 } given
            ? given
            : FingerprintOf(labels);
        var name = labels.GetValueOrDefault("alertname") ?? string.Empty;
        return new Alert(
            Source: Name,
            Name: name,
            Status: status,
            Labels: labels,
            Annotations: annotations,
            StartsAt: startsAt,
            EndsAt: endsAt,
            Fingerprint: fingerprint,
            InstanceId: $"{fingerprint}@{startsAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}",
            GeneratorUrl: JsonFields.OptionalString(item, "generatorURL", path),
            GroupKey: groupKey);
    }

    /// <summary>Old senders may omit the fingerprint; derive one from the label set, as Alertmanager does (FNV-1a over sorted labels).</summary>
    internal static string FingerprintOf(IReadOnlyDictionary<string, string> labels)
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
