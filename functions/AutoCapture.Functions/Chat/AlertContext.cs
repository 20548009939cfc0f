using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// What a responder expects next to the findings: the alert's own words (summary, description) and links back to
/// where it fired. All of it is the sender's text: links are kept only when they are absolute http(s) URLs, and
/// every channel escapes the words as it escapes any other field.
/// </summary>
public static class AlertContext
{
    public const int MaxAnnotationLength = 500;
    public const int MaxUrlLength = 2000;

    private static readonly (string Annotation, string Field)[] Words = [("summary", "Summary"), ("description", "Description")];

    // Grafana's links arrive as annotations (GrafanaSource); a runbook is an annotation by convention.
    private static readonly (string Annotation, string Text)[] LinkAnnotations =
        [("panelURL", "Grafana panel"), ("dashboardURL", "Grafana dashboard"), ("silenceURL", "Silence"), ("runbook_url", "Runbook")];

    public static IEnumerable<(string Name, string Value)> Annotations(Alert alert) => Words
        .Where(w => alert.Annotations.TryGetValue(w.Annotation, out var text) && !string.IsNullOrWhiteSpace(text))
        .Select(w => (w.Field, ChatHttp.Shorten(alert.Annotations[w.Annotation].Trim(), MaxAnnotationLength)));

    public static IEnumerable<ChatLink> Links(Alert alert)
    {
        if (WebLink(alert.GeneratorUrl) is { } source)
        {
            yield return new ChatLink(alert.Source switch
            {
                "azuremonitor" => "Alert in Azure Monitor",
                "grafana" => "Alert rule in Grafana",
                _ => "Alert source",
            }, source);
        }

        if (alert.Source == "alertmanager" && WebLink(alert.SenderUrl) is { } alertmanager && AlertmanagerLink(alertmanager, alert) is { } inAlertmanager)
        {
            yield return new ChatLink("Alert in Alertmanager", inAlertmanager);
        }

        foreach (var (annotation, text) in LinkAnnotations)
        {
            if (WebLink(alert.Annotations.GetValueOrDefault(annotation)) is { } url)
            {
                yield return new ChatLink(text, url);
            }
        }
    }

    /// <summary>
    /// Alertmanager's alert list filtered to this alert's labels (its UI reads the filter from the fragment), or to its
    /// name alone when all labels would make the link too long. Every label is escaped into the query: it stays text.
    /// </summary>
    private static string? AlertmanagerLink(string externalUrl, Alert alert)
    {
        static string Matcher(KeyValuePair<string, string> label) =>
            $"{label.Key}=\"{label.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

        var root = externalUrl.TrimEnd('/');
        var labels = alert.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
        foreach (var filter in new[] { labels, labels.Where(l => l.Key == "alertname").ToList() })
        {
            var link = $"{root}/#/alerts?filter={Uri.EscapeDataString("{" + string.Join(",", filter.Select(Matcher)) + "}")}";
            if (link.Length <= MaxUrlLength)
            {
                return link;
            }
        }

        return null;
    }

    /// <summary>The URL as the sender gave it when it is an absolute http(s) URL of a sane length; null otherwise.</summary>
    public static string? WebLink(string? text) =>
        text is { Length: > 0 and <= MaxUrlLength }
        && Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && !text.Any(char.IsWhiteSpace)
            ? uri.AbsoluteUri
            : null;
}
