using AutoCapture.Core.Security;


namespace AutoCapture.Tests.Security;

public class LinkSignerTests
{
    private const string Capture = "20261121-0123456789abcdef";
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_link_opens_exactly_what_it_was_made_for_until_it_expires()
    {
        var signer = new LinkSigner("link-secret-0123456789", _clock);
        var token = signer.CreateToken(Capture, "cpu.nettrace", TimeSpan.FromHours(1));

        Assert.Equal(LinkVerdict.Valid, signer.Verify(Capture, "cpu.nettrace", token));
        Assert.Equal(LinkVerdict.Forged, signer.Verify(Capture, "stacks.txt", token));
        Assert.Equal(LinkVerdict.Forged, signer.Verify("20261121-fedcba9876543210", "cpu.nettrace", token));
        Assert.Equal(LinkVerdict.Forged, signer.Verify(Capture, LinkSigner.CapturePage, token));

        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(LinkVerdict.Expired, signer.Verify(Capture, "cpu.nettrace", token));
    }

    [Theory]
    [InlineData(null, LinkVerdict.Missing)]
    [InlineData("", LinkVerdict.Missing)]
    [InlineData("garbage", LinkVerdict.Forged)]
    [InlineData(".abc", LinkVerdict.Forged)]
    [InlineData("9999999999.abc", LinkVerdict.Forged)]
    public void Bad_tokens_are_refused(string? token, LinkVerdict expected)
    {
        Assert.Equal(expected, new LinkSigner("link-secret-0123456789", _clock).Verify(Capture, "x", token));
    }

    [Fact]
    public void Extending_the_expiry_of_a_real_token_breaks_it()
    {
        var signer = new LinkSigner("link-secret-0123456789", _clock);
        var token = signer.CreateToken(Capture, "x", TimeSpan.FromMinutes(1));
        var mac = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];

        Assert.Equal(LinkVerdict.Forged, signer.Verify(Capture, "x", $"{_clock.GetUtcNow().AddYears(1).ToUnixTimeSeconds()}.{mac}"));
    }

    [Fact]
    public void Another_key_cannot_make_valid_links()
    {
        var token = new LinkSigner("attacker-secret-0123456", _clock).CreateToken(Capture, "x", TimeSpan.FromHours(1));
        Assert.Equal(LinkVerdict.Forged, new LinkSigner("link-secret-0123456789", _clock).Verify(Capture, "x", token));
    }
}
