namespace AutoCapture.Core.Alerts;

public enum AlertStatus
{
    Firing,
    Resolved,
}

/// <summary>
/// An alert as every source looks once parsed: Alertmanager, Azure Monitor and Grafana all become this.
/// </summary>
/// <param name="Source">The webhook source that delivered it, e.g. <c>alertmanager</c>.</param>
/// <param name="InstanceId">
/// Identifies one firing of one alert across repeats and duplicate deliveries
/// (Alertmanager: fingerprint + startsAt). Dedup keys on it.
/// </param>
/// <param name="SenderUrl">The sending Alertmanager's own address (its <c>externalURL</c>), for a link back to the alert there.</param>
public sealed record Alert(
    string Source,
    string Name,
    AlertStatus Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string Fingerprint,
    string InstanceId,
    string? GeneratorUrl = null,
    string? GroupKey = null,
    string? SenderUrl = null);
