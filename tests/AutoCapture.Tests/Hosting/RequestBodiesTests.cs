using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AutoCapture.Tests.Hosting;

public class RequestBodiesTests
{
    /// <summary>What Kestrel's request stream does when the sender goes away before its Content-Length is read.</summary>
    private sealed class CutOffStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new BadHttpRequestException("Unexpected end of request content.", StatusCodes.Status400BadRequest);
    }

    [Fact]
    public async Task A_body_cut_off_by_its_sender_is_a_400_that_says_so_not_a_server_error()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentLength = 60_000;
        context.Request.Body = new CutOffStream();

        var rejected = await Assert.ThrowsAsync<WebhookRejectedException>(() => RequestBodies.ReadLimitedAsync(context.Request, 1024 * 1024, CancellationToken.None));

        Assert.Equal(400, rejected.StatusCode);
        Assert.Equal("the body could not be read: Unexpected end of request content.", rejected.Message);
    }
}
