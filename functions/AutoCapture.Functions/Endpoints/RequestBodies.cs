using AutoCapture.Functions.Pipeline;

namespace AutoCapture.Functions.Endpoints;

internal static class RequestBodies
{
    /// <summary>Reads a body up to <paramref name="limit"/> bytes; beyond that the request is refused with 413, whatever Content-Length claimed.</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadLimitedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            throw new WebhookRejectedException(413, $"body is {request.ContentLength} bytes; the limit is {limit}");
        }

        // Sized by the bytes that arrive, not by what Content-Length claims: a caller not yet authenticated must not
        // make the app set aside megabytes by announcing them.
        var buffer = new MemoryStream((int)Math.Min(request.ContentLength ?? 16 * 1024, 64 * 1024));
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new WebhookRejectedException(413, $"body is larger than the limit of {limit} bytes");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e)
        {
            // A sender that goes away mid-body, or a body shorter than its Content-Length: the sender's fault, not ours.
            throw new WebhookRejectedException(e.StatusCode, $"the body could not be read: {e.Message}");
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>
    /// 503 with <c>Retry-After</c> for a request the app stopped in before it decided anything: the sender must send it
    /// again, to this instance's successor or another one.
    /// </summary>
    public static IResult Stopping(HttpResponse response, string what)
    {
        response.Headers.RetryAfter = "5";
        return Error(StatusCodes.Status503ServiceUnavailable, $"the webhook app is stopping, so {what}");
    }

    public static IResult Error(int status, string message) =>
        Results.Json(new { error = message }, statusCode: status);
}
