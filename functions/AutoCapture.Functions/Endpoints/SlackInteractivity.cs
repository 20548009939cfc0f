using System.Text;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Pipeline;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// <c>POST /api/slack/interactivity</c>, the Slack app's Interactivity Request URL: a click on "Capture again" (a
/// <c>block_actions</c> payload, form-encoded as <c>payload=</c>) captures the clicked capture's target again. Only
/// the button's value, a capture id, is taken from the payload, and only once Slack's signature holds: what to
/// capture and where comes from that capture's stored manifest. Slack wants an answer within 3 s, so the click is
/// admitted, answered 200, and the outcome is replied in the message's thread afterwards.
/// </summary>
public sealed class SlackInteractivity(
    SlackRequestVerifier verifier,
    ManifestStore manifests,
    OnDemandCaptures captures,
    ChatChannels channels,
    IOptions<AutoCaptureOptions> options,
    RejectionLog rejections,
    IHostApplicationLifetime lifetime,
    ILogger<SlackInteractivity> logger)
{
    // Slack's payloads repeat the whole message they came from; its blocks are far below this.
    private const int MaxBodyBytes = 256 * 1024;

    internal static Task<IResult> ReceiveAsync(HttpRequest request, SlackInteractivity slack) => slack.HandleAsync(request);

    private async Task<IResult> HandleAsync(HttpRequest request)
    {
        if (!verifier.Enabled)
        {
            return RequestBodies.Error(404, "Slack interactivity is off: AutoCapture:Chat:Slack:SigningSecret is not set");
        }

        ReadOnlyMemory<byte> body;
        try
        {
            body = await RequestBodies.ReadLimitedAsync(request, MaxBodyBytes, request.HttpContext.RequestAborted);
        }
        catch (WebhookRejectedException e)
        {
            return RequestBodies.Error(e.StatusCode, e.Message);
        }

        if (verifier.Problem(request.Headers[SlackRequestVerifier.TimestampHeader], request.Headers[SlackRequestVerifier.SignatureHeader], body.Span) is { } problem)
        {
            if (rejections.ShouldLog("401 slack", out var folded))
            {
                logger.LogWarning("Refused a Slack interaction from {Remote}: {Reason} ({Folded} more refused since the last such line)", request.HttpContext.Connection.RemoteIpAddress, problem, folded);
            }

            return RequestBodies.Error(401, problem);
        }

        SlackClick? click;
        try
        {
            click = SlackClick.Parse(body.Span);
        }
        catch (JsonException e)
        {
            return RequestBodies.Error(400, $"payload is not Slack's interaction JSON: {e.Message}");
        }

        if (click is null)
        {
            // Another of the app's interactions (a link button's click, a shortcut): nothing for AutoCapture to do.
            return Results.Ok();
        }

        if (!CaptureIds.IsValid(click.CaptureId))
        {
            return RequestBodies.Error(400, "actions[].value is not a capture id");
        }

        try
        {
            await CaptureAgainAsync(click, lifetime.ApplicationStopping);
        }
        catch (StoreException e)
        {
            return RequestBodies.Error(StatusCodes.Status503ServiceUnavailable, $"the store is unavailable; click again: {e.Message}");
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return RequestBodies.Stopping(request.HttpContext.Response, "the click was not acted on; click again");
        }

        return Results.Ok();
    }

    /// <summary>Decides now; the reply in the clicked message's thread (named by the store, not the payload) goes out after the 200.</summary>
    private async Task CaptureAgainAsync(SlackClick click, CancellationToken cancellationToken)
    {
        var original = await manifests.ReadAsync(click.CaptureId, cancellationToken);
        var text = await DecideAsync(original, click, cancellationToken);
        logger.LogInformation("Slack user {User} clicked Capture again on capture {CaptureId}: {Outcome}", click.User, click.CaptureId, text);
        if (original?.ChatPost is { } thread && channels.Find(original.Chat ?? options.Value.Chat.Default) is SlackBotNotifier bot)
        {
            _ = Task.Run(() => ReplyAsync(bot, thread, text), CancellationToken.None);
        }
    }

    private async Task<string> DecideAsync(CaptureManifest? original, SlackClick click, CancellationToken cancellationToken)
    {
        if (original is null)
        {
            return $"Not captured again: capture {click.CaptureId} does not exist.";
        }

        if (original.Captures.Count == 0 || original.Baseline is not null)
        {
            return $"Not captured again: capture {original.Id} took nothing to take again.";
        }

        // The rules may have changed since: the target must still be one alert captures could reach.
        if (!captures.IsPermitted(original.Target, out var error))
        {
            return $"Not captured again: {error}.";
        }

        var title = original.Alert.Source == OnDemandCaptures.Source ? original.Alert.Name : $"{original.Alert.Name} (captured again)";
        var capture = await captures.StartAsync(original.Target, original.Captures, title, $"Slack user {click.User}", $"again after capture {original.Id}", original.Chat, $"{original.Id}\n{click.ActionTs}", cancellationToken);
        return capture.Decision switch
        {
            CaptureDecision.Started => $"{click.User} asked to capture again: capture {capture.CaptureId} started ({string.Join(", ", capture.Specs.Select(s => s.Kind))} of {capture.Target}); its result follows in the channel.",
            CaptureDecision.Duplicate => $"Already asked: capture {capture.CaptureId}.",
            _ => $"Not captured again: {capture.Reason}.",
        };
    }

    private async Task ReplyAsync(SlackBotNotifier bot, ChatPost thread, string text)
    {
        try
        {
            await bot.ReplyAsync(thread, text, lifetime.ApplicationStopping);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Could not reply to a Slack interaction in {Channel}: {Reason}", bot.Name, e.Message);
        }
    }
}

/// <summary>The one thing taken from a click: which capture's button it was, with who clicked and when (the action's own timestamp).</summary>
internal sealed record SlackClick(string CaptureId, string User, string ActionTs)
{
    /// <returns>Null when the payload is not a click on a "Capture again" button.</returns>
    /// <exception cref="JsonException">The payload is not JSON of Slack's shape.</exception>
    public static SlackClick? Parse(ReadOnlySpan<byte> body)
    {
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        if (!form.TryGetValue("payload", out var payload) || payload.Count != 1)
        {
            throw new JsonException("the form has no single payload= field");
        }

        using var document = JsonDocument.Parse(payload.ToString());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || Text(root, "type") != "block_actions"
            || !root.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var action in actions.EnumerateArray())
        {
            if (action.ValueKind == JsonValueKind.Object && Text(action, "action_id") == SlackBlocks.CaptureAgainAction)
            {
                var user = root.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.Object ? Text(u, "username") ?? Text(u, "id") : null;
                return new SlackClick(Text(action, "value") ?? string.Empty, user ?? "unknown", Text(action, "action_ts") ?? string.Empty);
            }
        }

        return null;
    }

    private static string? Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
