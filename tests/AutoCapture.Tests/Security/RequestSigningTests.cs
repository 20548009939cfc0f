using System.Text;
using AutoCapture.Core.Security;


namespace AutoCapture.Tests.Security;

public class RequestSigningTests
{
    private static readonly SigningKey Key = new("k1", "0123456789abcdef0123456789abcdef");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"captureId":"x"}""");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    private RequestVerifier Verifier(params SigningKey[] keys) => new(keys.Length == 0 ? [Key] : keys, _clock, TimeSpan.FromMinutes(5));

    private Dictionary<string, string> Sign(SigningKey? key = null, string path = "/v1/captures", byte[]? body = null, DateTimeOffset? at = null) =>
        RequestSigning.Sign(key ?? Key, "POST", "collector-1:7080", path, body ?? Body, at ?? _clock.GetUtcNow()).ToDictionary(h => h.Key, h => h.Value);

    private static SignatureCheck Check(RequestVerifier verifier, Dictionary<string, string> headers, string path = "/v1/captures", byte[]? body = null) =>
        verifier.Verify("POST", path, name => headers.GetValueOrDefault(name), body ?? Body);

    [Fact]
    public void A_request_signed_before_a_restart_is_refused_after_it()
    {
        var harvested = Sign(at: _clock.GetUtcNow().AddSeconds(-2));
        Assert.Equal(SignatureVerdict.Valid, Check(Verifier(), harvested).Verdict);

        // The restarted process remembers no nonce, but knows when it started.
        var restarted = new RequestVerifier([Key], _clock, TimeSpan.FromMinutes(5), notBefore: _clock.GetUtcNow());
        var replay = Check(restarted, harvested);

        Assert.Equal(SignatureVerdict.Stale, replay.Verdict);
        Assert.Contains("signed before this process started", replay.Message, StringComparison.Ordinal);
        Assert.Equal(SignatureVerdict.Valid, Check(restarted, Sign()).Verdict);
    }

    [Fact]
    public void A_fresh_signed_request_is_valid_once()
    {
        var verifier = Verifier();
        var headers = Sign();

        Assert.Equal(SignatureVerdict.Valid, Check(verifier, headers).Verdict);
        Assert.Equal(SignatureVerdict.Replayed, Check(verifier, headers).Verdict);
    }

    [Fact]
    public void Changing_body_path_or_key_breaks_the_signature()
    {
        var verifier = Verifier();

        Assert.Equal(SignatureVerdict.BadSignature, Check(verifier, Sign(), body: Encoding.UTF8.GetBytes("""{"captureId":"y"}""")).Verdict);
        Assert.Equal(SignatureVerdict.BadSignature, Check(verifier, Sign(), path: "/v1/other").Verdict);
        Assert.Equal(SignatureVerdict.BadSignature, Check(verifier, Sign(new SigningKey("k1", "another-secret-of-enough-length"))).Verdict);
        Assert.Equal(SignatureVerdict.UnknownKey, Check(verifier, Sign(new SigningKey("k2", Key.Secret))).Verdict);
    }

    [Fact]
    public void Stale_and_future_requests_are_refused()
    {
        var verifier = Verifier();

        Assert.Equal(SignatureVerdict.Stale, Check(verifier, Sign(at: _clock.GetUtcNow().AddMinutes(-6))).Verdict);
        Assert.Equal(SignatureVerdict.Stale, Check(verifier, Sign(at: _clock.GetUtcNow().AddMinutes(6))).Verdict);
        Assert.Equal(SignatureVerdict.Valid, Check(verifier, Sign(at: _clock.GetUtcNow().AddMinutes(-4))).Verdict);
    }

    [Fact]
    public void Missing_or_malformed_headers_are_refused_without_throwing()
    {
        var verifier = Verifier();
        var headers = Sign();

        Assert.Equal(SignatureVerdict.Missing, Check(verifier, []).Verdict);
        Assert.Equal(SignatureVerdict.Malformed, Check(verifier, new(headers) { [RequestSigning.TimestampHeader] = "-1" }).Verdict);
        Assert.Equal(SignatureVerdict.Malformed, Check(verifier, new(headers) { [RequestSigning.TimestampHeader] = "99999999999999999999999" }).Verdict);
        Assert.Equal(SignatureVerdict.Malformed, Check(verifier, new(headers) { [RequestSigning.SignatureHeader] = "sha1=abc" }).Verdict);
        Assert.Equal(SignatureVerdict.BadSignature, Check(verifier, new(headers) { [RequestSigning.SignatureHeader] = "v1=" }).Verdict);
        Assert.Equal(SignatureVerdict.Stale, Check(verifier, new(headers) { [RequestSigning.TimestampHeader] = "99999999999" }).Verdict);
    }

    [Fact]
    public void A_forged_request_does_not_burn_the_nonce_of_the_real_one()
    {
        var verifier = Verifier();
        var headers = Sign();

        Assert.Equal(SignatureVerdict.BadSignature, Check(verifier, new(headers) { [RequestSigning.SignatureHeader] = "v1=" + new string('0', 64) }).Verdict);
        Assert.Equal(SignatureVerdict.Valid, Check(verifier, headers).Verdict);
    }

    [Fact]
    public void A_request_counts_only_at_the_receiver_it_names()
    {
        var collector2 = new RequestVerifier([Key], _clock, TimeSpan.FromMinutes(5), acceptsAudience: a => a == "collector-2:7080");
        var headers = Sign();

        var misdirected = Check(collector2, headers);
        var renamed = Check(collector2, new(headers) { [RequestSigning.AudienceHeader] = "collector-2:7080" });

        Assert.Equal(SignatureVerdict.Misdirected, misdirected.Verdict);
        Assert.Equal("request is meant for collector-1:7080, not this collector", misdirected.Message);
        Assert.Equal(SignatureVerdict.BadSignature, renamed.Verdict);
        Assert.Equal(SignatureVerdict.Missing, Check(collector2, headers.Where(h => h.Key != RequestSigning.AudienceHeader).ToDictionary()).Verdict);
        Assert.Equal("collector-1:80", RequestSigning.AudienceOf(new Uri("http://Collector-1/v1/captures")));
        Assert.Equal("[::1]:7080", RequestSigning.AudienceOf(new Uri("http://[::1]:7080/v1/captures")));
    }

    [Fact]
    public void Secrets_never_appear_in_the_key_description()
    {
        Assert.DoesNotContain(Key.Secret, Key.ToString(), StringComparison.Ordinal);
    }
}
