using System.Globalization;
using System.Text.Json;
using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Sources;

/// <summary>
/// Grafana unified alerting's webhook payload, version "1": Alertmanager's shape plus orgId, state, and per alert
/// the evaluated values and links to the dashboard, panel and silence page. Those extras become annotations
/// (<c>values.B</c>, <c>dashboardURL</c>, …) so rules and chat can use them.
/// </summary>
public sealed class GrafanaSource : IAlertSource
{
    private static readonly string[] LinkFields = ["dashboardURL", "panelURL", "silenceURL"];

    public string Name => "grafana";

    public IReadOnlyList<Alert> Parse(ReadOnlyMemory<byte> body)
    {
        using var document = JsonFields.ParseDocument(body);
        var root = document.RootElement;
        var (alerts, groupKey) = PrometheusStyleNotification.Envelope(root, "Grafana", "1");
        if (root.TryGetProperty("orgId", out var orgId) && orgId.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
        {
            throw new AlertPayloadException($"orgId must be a number, not {JsonFields.Describe(orgId)}");
        }

        return PrometheusStyleNotification.ParseAlerts(alerts, Name, groupKey, AddExtras);
    }

    private static void AddExtras(JsonElement item, string path, Dictionary<string, string> annotations)
    {
        foreach (var field in LinkFields)
        {
            if (JsonFields.OptionalString(item, field, path) is { Length: > 0 } url)
            {
                annotations[field] = url;
            }
        }

        if (!item.TryGetProperty("values", out var values) || values.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (values.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"{path}values must be an object of numbers, not {JsonFields.Describe(values)}");
        }

        foreach (var value in values.EnumerateObject())
        {
            var name = JsonFields.NameOf(value, path, "values");
            if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetDouble(out var number))
            {
                throw new AlertPayloadException($"{path}values.{JsonFields.Shorten(name)} must be a number, not {JsonFields.Describe(value.Value)}");
            }

            annotations[$"values.{name}"] = number.ToString("G", CultureInfo.InvariantCulture);
        }
    }
}
