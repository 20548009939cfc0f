using AutoCapture.Functions.Sources;

namespace AutoCapture.Functions.Pipeline;

/// <summary>Turns the body into normalized alerts with the source's parser; anything unparseable is a 400 that says why.</summary>
public sealed class ParseStage(IEnumerable<IAlertSource> sources) : IWebhookStage
{
    private readonly Dictionary<string, IAlertSource> _sources = sources.ToDictionary(s => s.Name, StringComparer.Ordinal);

    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        if (!_sources.TryGetValue(context.Source, out var source))
        {
            throw new WebhookRejectedException(404, $"unknown alert source '{context.Source}'");
        }

        if (!IsJson(context.ContentType))
        {
            throw new WebhookRejectedException(415, $"content type must be application/json, not '{context.ContentType ?? "(none)"}'");
        }

        var body = await context.BodyAsync(cancellationToken);
        try
        {
            context.Alerts.AddRange(source.Parse(body));
        }
        catch (AlertPayloadException e)
        {
            throw new WebhookRejectedException(400, $"invalid {source.Name} payload: {e.Message}");
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
