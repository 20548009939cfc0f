using AutoCapture.Functions.Sources;

namespace AutoCapture.Functions.Pipeline;

/// <summary>Turns the body into normalized alerts with the source's parser (unless the body is a repeat answered before); anything unparseable is a 400 that says why.</summary>
public sealed class ParseStage(IEnumerable<IAlertSource> sources, RepeatAnswers repeats, TimeProvider clock) : IWebhookStage
{
    /// <summary>
    /// The start time names the capture id's day in the store: one far from now would file captures under year 1 or
    /// 9999, out of every search. Long-firing alerts stay well inside two years; a day ahead covers clock skew.
    /// </summary>
    public static readonly TimeSpan MaxAlertAge = TimeSpan.FromDays(730);

    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(1);

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
        if (repeats.TryAnswer(context, body))
        {
            return;
        }

        try
        {
            context.Alerts.AddRange(source.Parse(body));
        }
        catch (AlertPayloadException e)
        {
            throw new WebhookRejectedException(400, $"invalid {source.Name} payload: {e.Message}");
        }

        var now = clock.GetUtcNow();
        for (var i = 0; i < context.Alerts.Count; i++)
        {
            if (context.Alerts[i].StartsAt is var startsAt && (startsAt < now - MaxAlertAge || startsAt > now + MaxClockSkew))
            {
                throw new WebhookRejectedException(400, $"invalid {source.Name} payload: {source.StartsAtPath(i)} {startsAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} is not within {MaxAlertAge.TotalDays:0} days before and {MaxClockSkew.TotalDays:0} day after now");
            }
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
