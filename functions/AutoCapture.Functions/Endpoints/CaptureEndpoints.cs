using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using AutoCapture.Diffs;
using AutoCapture.Functions.Baselines;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Pipeline;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Endpoints;

public static class CaptureEndpoints
{
    public const int MaxCompletionBytes = 8 * 1024 * 1024;

    internal static async Task<IResult> CompleteAsync(
        string id,
        HttpRequest request,
        RequestVerifier verifier,
        CompletionService completions,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (result, refusal) = await ReadSignedAsync<CaptureResult>(id, request, verifier, loggers, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (result!.CaptureId != id)
        {
            return RequestBodies.Error(400, $"result is for capture {result.CaptureId}, not {id}");
        }

        return await completions.CompleteAsync(result, cancellationToken) switch
        {
            CompletionService.Outcome.UnknownCapture => RequestBodies.Error(404, $"capture {id} does not exist"),
            CompletionService.Outcome.AlreadyFinished => Results.Ok(new { status = "already finished" }),
            _ => Results.Ok(new { status = "completed" }),
        };
    }

    /// <summary>The collector says the capture is running or uploading; best effort, so a lost report only leaves the state behind.</summary>
    internal static async Task<IResult> ProgressAsync(
        string id,
        HttpRequest request,
        RequestVerifier verifier,
        ManifestStore manifests,
        TimeProvider clock,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (progress, refusal) = await ReadSignedAsync<CaptureProgress>(id, request, verifier, loggers, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (progress!.CaptureId != id || progress.State is not (CaptureStatus.Running or CaptureStatus.Uploading))
        {
            return RequestBodies.Error(400, "progress must name this capture and a state of running or uploading");
        }

        var now = clock.GetUtcNow();
        // A collector at work was dispatched to, even if its report overtook the dispatcher's own record (or that
        // instance died first): housekeeping's deadline counts from the dispatch, not from when the alert came in.
        var moved = await manifests.MoveAsync(id, progress.State, m => m with { UpdatedAt = now, DispatchedAt = m.DispatchedAt ?? now }, cancellationToken);
        if (moved.Outcome == TransitionOutcome.Illegal)
        {
            loggers.CreateLogger("AutoCapture.Progress").LogWarning("Capture {CaptureId}: refused to move from {From} to {To}", id, moved.From, progress.State);
        }

        return moved.Outcome switch
        {
            TransitionOutcome.Missing => RequestBodies.Error(404, $"capture {id} does not exist"),
            TransitionOutcome.Illegal => RequestBodies.Error(409, $"capture {id} is {moved.From?.ToString().ToLowerInvariant()}; it cannot become {progress.State.ToString().ToLowerInvariant()}"),
            _ => Results.Ok(new { status = progress.State.ToString().ToLowerInvariant() }),
        };
    }

    /// <summary>Reads a body the collector signed: capture id, size, signature and JSON, each refused with its reason.</summary>
    private static async Task<(T? Value, IResult? Refusal)> ReadSignedAsync<T>(string id, HttpRequest request, RequestVerifier verifier, ILoggerFactory loggers, CancellationToken cancellationToken)
        where T : class
    {
        if (!CaptureIds.IsValid(id))
        {
            return (null, RequestBodies.Error(400, "not a capture id"));
        }

        ReadOnlyMemory<byte> body;
        try
        {
            body = await RequestBodies.ReadLimitedAsync(request, MaxCompletionBytes, cancellationToken);
        }
        catch (WebhookRejectedException e)
        {
            return (null, RequestBodies.Error(e.StatusCode, e.Message));
        }

        var check = verifier.Verify(request.Method, request.Path + request.QueryString, name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, body.Span);
        if (!check.IsValid)
        {
            if (request.HttpContext.RequestServices.GetRequiredService<RejectionLog>().ShouldLog("401 callback", out var folded))
            {
                loggers.CreateLogger("AutoCapture.Completion").LogWarning("Refused a signed callback for capture {CaptureId} from {Remote}: {Reason} ({Folded} more refused since the last such line)", id, request.HttpContext.Connection.RemoteIpAddress, check.Message, folded);
            }

            return (null, RequestBodies.Error(401, check.Message));
        }

        try
        {
            return (AutoCaptureJson.Deserialize<T>(body.Span), null);
        }
        catch (JsonException e)
        {
            return (null, RequestBodies.Error(400, $"body is not a {typeof(T).Name}: {e.Message}"));
        }
    }

    /// <summary>Newest first, filtered and paged (see <see cref="CaptureQuery"/>); read token only.</summary>
    internal static async Task<IResult> ListCapturesAsync(HttpRequest request, ApiAuthorization api, CaptureSearch search, IOptions<AutoCaptureOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (api.Check(request) is var verdict && verdict != ApiAuthorization.Verdict.Valid)
        {
            return ApiAuthorization.Refusal(verdict, request.HttpContext.Response);
        }

        CaptureQuery query;
        CaptureListPage page;
        try
        {
            query = CaptureQuery.Parse(request.Query, clock.GetUtcNow());
            page = await search.SearchAsync(query.Filter, query.Limit, query.Cursor, options.Value.Api.DefaultSearchDays, cancellationToken);
        }
        catch (FormatException e)
        {
            return RequestBodies.Error(400, e.Message);
        }

        return Results.Bytes(AutoCaptureJson.Serialize(page), "application/json");
    }

    internal static async Task<IResult> GetCaptureAsync(string id, HttpRequest request, ManifestStore manifests, PublicUrls urls, ApiAuthorization api, CancellationToken cancellationToken)
    {
        if (Authorize(id, LinkSigner.CapturePage, request, urls, api) is { } denied)
        {
            return denied;
        }

        if (LinkSigner.ExpiresAt(request.Query["token"]) is { } pageExpiry)
        {
            urls = urls.NotAfter(pageExpiry);
        }

        var manifest = await manifests.ReadAsync(id, cancellationToken);
        if (manifest is null)
        {
            return RequestBodies.Error(404, $"capture {id} does not exist");
        }

        var wantsJson = request.Query["format"] == "json"
            || request.Headers.Accept.Any(a => a?.Contains("application/json", StringComparison.OrdinalIgnoreCase) == true);
        return wantsJson
            ? Results.Bytes(AutoCaptureJson.Serialize(manifest, indented: true), "application/json")
            : Results.Content(CapturePage.Render(manifest, urls), "text/html; charset=utf-8");
    }

    internal static async Task<IResult> GetArtifactAsync(string id, string name, HttpRequest request, IArtifactStore store, ManifestStore manifests, PublicUrls urls, ApiAuthorization api, ArtifactVerifier verifier, CancellationToken cancellationToken)
    {
        if (!ArtifactNames.IsValid(name))
        {
            return RequestBodies.Error(400, "not an artifact name");
        }

        if (Authorize(id, name, request, urls, api) is { } denied)
        {
            return denied;
        }

        var manifest = await manifests.ReadAsync(id, cancellationToken);
        var artifact = manifest?.Artifacts.FirstOrDefault(a => a.Name == name);
        var stored = artifact is null ? null : await store.OpenReadAsync(CaptureIds.ArtifactKey(id, name), cancellationToken);
        if (stored is null)
        {
            return RequestBodies.Error(404, $"capture {id} has no artifact {name}");
        }

        // What the manifest recorded is what is served, or nothing: never bytes that changed after verification.
        if (await verifier.ProblemAsync(id, artifact!, cancellationToken) is { } problem)
        {
            await stored.DisposeAsync();
            return RequestBodies.Error(409, $"{problem}; not served");
        }

        return Results.Stream(stored.Content, artifact!.ContentType, fileDownloadName: name, enableRangeProcessing: true);
    }

    /// <summary>
    /// Compares a capture with a baseline named by hand (<c>?baseline=ID</c>), from their stored artifacts, and
    /// answers the full diff; read token only. Nothing is written: neither manifest nor any artifact changes.
    /// </summary>
    internal static async Task<IResult> GetDiffAsync(string id, HttpRequest request, ApiAuthorization api, ManifestStore manifests, IArtifactStore store, CancellationToken cancellationToken)
    {
        if (api.Check(request) is var verdict && verdict != ApiAuthorization.Verdict.Valid)
        {
            return ApiAuthorization.Refusal(verdict, request.HttpContext.Response);
        }

        if (!CaptureIds.IsValid(id))
        {
            return RequestBodies.Error(400, "not a capture id");
        }

        if (request.Query["baseline"] is not [{ Length: > 0 } baselineId])
        {
            return RequestBodies.Error(400, "name one baseline capture to compare with: ?baseline=ID");
        }

        if (!CaptureIds.IsValid(baselineId))
        {
            return RequestBodies.Error(400, "baseline is not a capture id");
        }

        if (baselineId == id)
        {
            return RequestBodies.Error(400, "a capture cannot be its own baseline");
        }

        var incident = await manifests.ReadAsync(id, cancellationToken);
        var baseline = await manifests.ReadAsync(baselineId, cancellationToken);
        if (incident is null || baseline is null)
        {
            return RequestBodies.Error(404, incident is null ? $"capture {id} does not exist" : $"baseline capture {baselineId} does not exist");
        }

        if (incident.Status != CaptureStatus.Complete || baseline.Status != CaptureStatus.Complete)
        {
            var (which, unfinished) = incident.Status != CaptureStatus.Complete ? ("capture", incident) : ("baseline capture", baseline);
            return RequestBodies.Error(400, $"{which} {unfinished.Id} is {unfinished.Status.ToString().ToLowerInvariant()}{(unfinished.Error ?? unfinished.SkipReason) switch { { } why => $" ({why})", _ => string.Empty }}: only complete captures can be compared");
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(BaselineComparisons.Timeout);
        try
        {
            var diff = await CaptureDiffer.DiffAsync(new StoreCaptureFiles(store, incident), new StoreCaptureFiles(store, baseline), CaptureDiffer.ChosenBasis, writer: null, budget.Token);
            return Results.Bytes(AutoCaptureJson.Serialize(diff), "application/json");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return RequestBodies.Error(503, $"the comparison took longer than {BaselineComparisons.Timeout.TotalSeconds:0} s and was given up");
        }
    }

    /// <summary>A signed link for exactly this capture page or artifact, or the API's read token for any.</summary>
    private static IResult? Authorize(string id, string artifactName, HttpRequest request, PublicUrls urls, ApiAuthorization api)
    {
        // The URL carries a token and the page carries links minted from it: no cache or proxy may keep either.
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        if (!CaptureIds.IsValid(id))
        {
            return RequestBodies.Error(400, "not a capture id");
        }

        if (!request.Query.ContainsKey("token") && request.Headers.Authorization.Count > 0)
        {
            var verdict = api.Check(request);
            return verdict == ApiAuthorization.Verdict.Valid ? null : ApiAuthorization.Refusal(verdict, request.HttpContext.Response);
        }

        return urls.Verify(id, artifactName, request.Query["token"]) switch
        {
            LinkVerdict.Valid => null,
            LinkVerdict.Missing => RequestBodies.Error(403, "a signed link is required (token missing)"),
            LinkVerdict.Expired => RequestBodies.Error(403, "this link has expired"),
            _ => RequestBodies.Error(403, "this link is not valid"),
        };
    }
}
