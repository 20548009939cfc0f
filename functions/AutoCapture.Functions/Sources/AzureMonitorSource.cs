using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Sources;

/// <summary>
/// Azure Monitor's common alert schema (action groups with "Enable the common alert schema"). One payload is
/// one alert. Its labels gather what rules need to find the target: metric and log-search dimensions, the labels
/// of Azure Monitor managed Prometheus alerts, the first configuration item (e.g. a computer name), and the
/// parts of the first ARM resource id in alertTargetIDs (subscriptionId, resourceGroup, resourceType,
/// resourceName). A repeat of the same alertId is the same alert instance.
/// </summary>
public sealed class AzureMonitorSource : IAlertSource
{
    public const string SchemaId = "azureMonitorCommonAlertSchema";
    private const int MaxDimensions = 64;

    public string Name => "azuremonitor";

    public string StartsAtPath(int index) => "data.essentials.firedDateTime";

    public IReadOnlyList<Alert> Parse(ReadOnlyMemory<byte> body)
    {
        using var document = JsonFields.ParseDocument(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"body must be a JSON object (Azure Monitor common alert schema), not {JsonFields.Describe(root)}");
        }

        var schema = JsonFields.OptionalString(root, "schemaId", string.Empty)
            ?? throw new AlertPayloadException($"schemaId is required; enable the common alert schema on the action group (schemaId \"{SchemaId}\")");
        if (schema != SchemaId)
        {
            throw new AlertPayloadException($"schemaId \"{JsonFields.Shorten(schema)}\" is not supported; enable the common alert schema on the action group (\"{SchemaId}\")");
        }

        var data = JsonFields.RequiredObject(root, "data", string.Empty);
        var essentials = JsonFields.RequiredObject(data, "essentials", "data.");
        const string at = "data.essentials.";
        var alertId = JsonFields.RequiredString(essentials, "alertId", at);
        var alertRule = JsonFields.RequiredString(essentials, "alertRule", at);
        var condition = JsonFields.RequiredString(essentials, "monitorCondition", at);
        var status = condition switch
        {
            "Fired" => AlertStatus.Firing,
            "Resolved" => AlertStatus.Resolved,
            _ => throw new AlertPayloadException($"{at}monitorCondition \"{JsonFields.Shorten(condition)}\" must be \"Fired\" or \"Resolved\""),
        };
        var firedAt = JsonFields.OptionalTimestamp(essentials, "firedDateTime", at)
            ?? throw new AlertPayloadException($"{at}firedDateTime is required");

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (data.TryGetProperty("alertContext", out var context) && context.ValueKind != JsonValueKind.Null)
        {
            if (context.ValueKind != JsonValueKind.Object)
            {
                throw new AlertPayloadException($"data.alertContext must be an object, not {JsonFields.Describe(context)}");
            }

            ReadAlertContext(context, labels, annotations);
        }

        labels.TryAdd("alertname", alertRule);
        labels["alertRule"] = alertRule;
        labels["monitorCondition"] = condition;
        foreach (var field in new[] { "severity", "signalType", "monitoringService" })
        {
            if (JsonFields.OptionalString(essentials, field, at) is { Length: > 0 } value)
            {
                labels[field] = value;
            }
        }

        if (FirstString(essentials, "configurationItems", at) is { } item)
        {
            labels["configurationItem"] = item;
        }

        if (FirstString(essentials, "alertTargetIDs", at) is { } resourceId)
        {
            labels["resourceId"] = resourceId;
            foreach (var (name, value) in ArmResourceId.Parts(resourceId))
            {
                labels[name] = value;
            }
        }

        foreach (var field in new[] { "description", "investigationLink" })
        {
            if (JsonFields.OptionalString(essentials, field, at) is { Length: > 0 } value)
            {
                annotations[field] = value;
            }
        }

        foreach (var (name, value) in JsonFields.StringMap(data, "customProperties", "data.", required: false))
        {
            annotations[name] = value;
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(alertId)), 0, 8);
        return
        [
            new Alert(
                Source: Name,
                Name: labels["alertname"],
                Status: status,
                Labels: labels,
                Annotations: annotations,
                StartsAt: firedAt,
                EndsAt: JsonFields.OptionalTimestamp(essentials, "resolvedDateTime", at),
                Fingerprint: fingerprint,
                InstanceId: alertId,
                GeneratorUrl: annotations.GetValueOrDefault("investigationLink"),
                GroupKey: $"azuremonitor:{alertRule}"),
        ];
    }

    /// <summary>
    /// Metric and log-search alerts carry dimensions under condition.allOf[]; managed Prometheus alerts carry
    /// labels and annotations. Anything else in the context is tolerated and ignored.
    /// </summary>
    private static void ReadAlertContext(JsonElement context, Dictionary<string, string> labels, Dictionary<string, string> annotations)
    {
        const string at = "data.alertContext.";
        foreach (var (name, value) in JsonFields.StringMap(context, "labels", at, required: false))
        {
            labels[name] = value;
        }

        foreach (var (name, value) in JsonFields.StringMap(context, "annotations", at, required: false))
        {
            annotations[name] = value;
        }

        if (!context.TryGetProperty("condition", out var condition) || condition.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (condition.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"{at}condition must be an object, not {JsonFields.Describe(condition)}");
        }

        if (!condition.TryGetProperty("allOf", out var allOf) || allOf.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (allOf.ValueKind != JsonValueKind.Array)
        {
            throw new AlertPayloadException($"{at}condition.allOf must be an array, not {JsonFields.Describe(allOf)}");
        }

        var criterion = 0;
        foreach (var entry in allOf.EnumerateArray())
        {
            var path = $"{at}condition.allOf[{criterion++}].";
            if (entry.ValueKind != JsonValueKind.Object)
            {
                throw new AlertPayloadException($"{path.TrimEnd('.')} must be an object, not {JsonFields.Describe(entry)}");
            }

            if (JsonFields.OptionalString(entry, "metricName", path) is { Length: > 0 } metric)
            {
                annotations.TryAdd("metricName", metric);
            }

            ReadDimensions(entry, path, labels);
        }
    }

    private static void ReadDimensions(JsonElement criterion, string path, Dictionary<string, string> labels)
    {
        if (!criterion.TryGetProperty("dimensions", out var dimensions) || dimensions.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (dimensions.ValueKind != JsonValueKind.Array || dimensions.GetArrayLength() > MaxDimensions)
        {
            throw new AlertPayloadException($"{path}dimensions must be an array of at most {MaxDimensions} name/value objects");
        }

        var index = 0;
        foreach (var dimension in dimensions.EnumerateArray())
        {
            var at = $"{path}dimensions[{index++}].";
            if (dimension.ValueKind != JsonValueKind.Object)
            {
                throw new AlertPayloadException($"{at.TrimEnd('.')} must be an object with name and value");
            }

            labels.TryAdd(JsonFields.RequiredString(dimension, "name", at), JsonFields.RequiredString(dimension, "value", at));
        }
    }

    private static string? FirstString(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new AlertPayloadException($"{path}{name} must be an array of strings, not {JsonFields.Describe(array)}");
        }

        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new AlertPayloadException($"{path}{name} must be an array of strings");
            }

            var text = JsonFields.Text(item, path, name, null);
            return text.Length <= JsonFields.MaxStringLength
                ? text
                : throw new AlertPayloadException($"{path}{name}[0] is too long (limit {JsonFields.MaxStringLength} characters)");
        }

        return null;
    }
}

/// <summary>The named parts of an ARM resource id: /subscriptions/{s}/resourceGroups/{g}/providers/{namespace}/{type}/{name}.</summary>
public static class ArmResourceId
{
    public static IEnumerable<(string Name, string Value)> Parts(string resourceId)
    {
        var segments = resourceId.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 1 < segments.Length; i++)
        {
            if (segments[i].Equals("subscriptions", StringComparison.OrdinalIgnoreCase))
            {
                yield return ("subscriptionId", segments[i + 1]);
            }
            else if (segments[i].Equals("resourceGroups", StringComparison.OrdinalIgnoreCase))
            {
                yield return ("resourceGroup", segments[i + 1]);
            }
            else if (segments[i].Equals("providers", StringComparison.OrdinalIgnoreCase) && i + 3 < segments.Length)
            {
                // The innermost resource: the type path and name after the last provider namespace.
                var rest = segments[(i + 1)..];
                if (rest.Length >= 3 && !rest.Any(s => s.Equals("providers", StringComparison.OrdinalIgnoreCase)))
                {
                    yield return ("resourceType", string.Join('/', rest.Where((_, k) => k == 0 || k % 2 == 1)));
                    yield return ("resourceName", rest[^1]);
                }
            }
        }
    }
}
