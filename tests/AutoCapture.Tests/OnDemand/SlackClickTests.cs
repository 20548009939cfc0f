using System.Text;
using System.Text.Json;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Endpoints;

namespace AutoCapture.Tests.OnDemand;

/// <summary>What is taken from a signed Slack interaction payload: a "Capture again" click's capture id, or nothing.</summary>
public sealed class SlackClickTests
{
    private static SlackClick? Parse(string payload) =>
        SlackClick.Parse(Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(payload)));

    [Fact]
    public void A_capture_again_click_gives_its_capture_id_user_and_action_time()
    {
        var click = Parse($$"""{"type":"block_actions","user":{"id":"U1","username":"ana"},"actions":[{"action_id":"{{SlackBlocks.CaptureAgainAction}}","value":"20261206-0123456789abcdef","action_ts":"1765000000.1"}]}""");

        Assert.Equal(new SlackClick("20261206-0123456789abcdef", "ana", "1765000000.1"), click);
    }

    [Theory]
    [InlineData("""{"type":"shortcut"}""")]
    [InlineData("""{"type":5,"actions":[]}""")]
    [InlineData("""{"type":["block_actions"],"actions":[]}""")]
    [InlineData("""{"type":"block_actions","actions":{"action_id":"x"}}""")]
    [InlineData("""{"type":"block_actions","actions":[{"action_id":7,"value":"20261206-0123456789abcdef"}]}""")]
    [InlineData("""{"type":"block_actions","actions":[{"action_id":"open_link","value":"20261206-0123456789abcdef"}]}""")]
    [InlineData("""[1,2]""")]
    public void Anything_else_of_any_json_shape_is_no_click(string payload) => Assert.Null(Parse(payload));

    [Theory]
    [InlineData("not=a payload")]
    [InlineData("payload=%7Bnot%20json")]
    [InlineData("payload=1&payload=2")]
    public void A_body_that_is_not_a_single_json_payload_is_a_json_error(string body) =>
        Assert.ThrowsAny<JsonException>(() => SlackClick.Parse(Encoding.UTF8.GetBytes(body)));
}
