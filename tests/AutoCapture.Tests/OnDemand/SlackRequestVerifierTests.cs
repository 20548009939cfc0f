using System.Globalization;
using System.Text;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Tests.OnDemand;

/// <summary>Slack's v0 request signature: what is accepted, and every way a request is refused.</summary>
public sealed class SlackRequestVerifierTests
{
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_765_000_000);
    private readonly ManualClock _clock = new(Now);
    private readonly SlackRequestVerifier _verifier;

    public SlackRequestVerifierTests()
    {
        var options = new AutoCaptureOptions();
        options.Chat.Slack.SigningSecret = Secret;
        _verifier = new SlackRequestVerifier(Options.Create(options), _clock);
    }

    private static byte[] Body(string payload = """{"type":"block_actions"}""") =>
        Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(payload));

    private static string Timestamp(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Slacks_documented_example_signature_is_what_sign_computes()
    {
        // The worked example of api.slack.com/authentication/verifying-requests-from-slack.
        var body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

        Assert.Equal("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", SlackRequestVerifier.Sign(Secret, "1531420618", Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void A_request_signed_with_the_secret_now_is_accepted()
    {
        var body = Body();

        Assert.Null(_verifier.Problem(Timestamp(Now), SlackRequestVerifier.Sign(Secret, Timestamp(Now), body), body));
    }

    [Fact]
    public void A_wrong_secret_or_a_changed_body_is_refused()
    {
        var body = Body();
        var forged = SlackRequestVerifier.Sign("another-secret-of-32-characters!", Timestamp(Now), body);
        var signed = SlackRequestVerifier.Sign(Secret, Timestamp(Now), body);

        Assert.Equal("the Slack signature does not match", _verifier.Problem(Timestamp(Now), forged, body));
        Assert.Equal("the Slack signature does not match", _verifier.Problem(Timestamp(Now), signed, Body("""{"type":"block_actions","x":1}""")));
        Assert.Equal("the Slack signature does not match", _verifier.Problem(Timestamp(Now), signed.ToUpperInvariant(), body));
    }

    [Fact]
    public void The_window_is_five_minutes_either_way_to_the_second()
    {
        var body = Body();
        var sent = Now;
        var signature = SlackRequestVerifier.Sign(Secret, Timestamp(sent), body);
        var early = Now.AddMinutes(5);
        var earlySignature = SlackRequestVerifier.Sign(Secret, Timestamp(early), body);

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(_verifier.Problem(Timestamp(sent), signature, body));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("X-Slack-Request-Timestamp is 301 s off (allowed ±300 s)", _verifier.Problem(Timestamp(sent), signature, body));

        // A timestamp ahead of the clock counts the same.
        var clock = new ManualClock(Now.AddSeconds(-1));
        var options = new AutoCaptureOptions();
        options.Chat.Slack.SigningSecret = Secret;
        var verifier = new SlackRequestVerifier(Options.Create(options), clock);
        Assert.Equal("X-Slack-Request-Timestamp is -301 s off (allowed ±300 s)", verifier.Problem(Timestamp(early), earlySignature, body));
    }

    [Fact]
    public void The_same_signed_request_is_accepted_once()
    {
        var body = Body();
        var signature = SlackRequestVerifier.Sign(Secret, Timestamp(Now), body);

        Assert.Null(_verifier.Problem(Timestamp(Now), signature, body));
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("this Slack request was already received (replayed)", _verifier.Problem(Timestamp(Now), signature, body));
    }

    [Theory]
    [InlineData(null, "v0=00")]
    [InlineData("", "v0=00")]
    [InlineData("1765000000", null)]
    [InlineData("1765000000", "")]
    public void Missing_headers_are_refused_by_name(string? timestamp, string? signature) =>
        Assert.Equal("X-Slack-Request-Timestamp and X-Slack-Signature are required", _verifier.Problem(timestamp, signature, Body()));

    [Theory]
    [InlineData("soon")]
    [InlineData("-1765000000")]
    [InlineData("1765000000.5")]
    [InlineData("99999999999999999999")]
    public void A_timestamp_that_is_not_unix_seconds_is_refused(string timestamp) =>
        Assert.Equal("X-Slack-Request-Timestamp is not a Unix time in seconds", _verifier.Problem(timestamp, "v0=00", Body()));

    [Fact]
    public void Without_a_signing_secret_interactivity_is_off()
    {
        Assert.False(new SlackRequestVerifier(Options.Create(new AutoCaptureOptions()), _clock).Enabled);
        Assert.True(_verifier.Enabled);
    }
}
