using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Tests.Rules;

public class TemplateTests
{
    internal static Alert Alert(Dictionary<string, string>? labels = null, Dictionary<string, string>? annotations = null) => new(
        "alertmanager",
        "HighCPU",
        AlertStatus.Firing,
        labels ?? new() { ["alertname"] = "HighCPU", ["instance"] = "web-3:9100", ["pod"] = "checkout-7f9" },
        annotations ?? new() { ["pid"] = "4242" },
        new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero),
        null,
        "fp1",
        "fp1@2026-11-21T10:00:00");

    private static string Render(string template)
    {
        Assert.True(Template.Parse(template).TryRender(Alert(), out var value, out var error), error);
        return value;
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("http://{{ labels.instance | host }}:7080", "http://web-3:7080")]
    [InlineData("{{labels.pod}}", "checkout-7f9")]
    [InlineData("{{ annotations.pid }}", "4242")]
    [InlineData("{{ alert.name }}/{{ alert.fingerprint }}", "HighCPU/fp1")]
    [InlineData("{{ labels.container | default \"web\" }}", "web")]
    [InlineData("{{ labels.pod | default \"web\" }}", "checkout-7f9")]
    public void Renders_values_from_the_alert(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Fact]
    public void A_missing_value_without_default_names_what_is_missing()
    {
        Assert.False(Template.Parse("{{ labels.container }}").TryRender(Alert(), out _, out var error));
        Assert.Equal("labels.container is not set on alert HighCPU", error);
    }

    [Theory]
    [InlineData("{{ labels.pod", "without a closing")]
    [InlineData("pod }}", "without an opening")]
    [InlineData("{{ pod }}", "is not an expression")]
    [InlineData("{{ alert.severity }}", "alert.severity is unknown")]
    [InlineData("{{ labels.pod | upper }}", "unknown filter 'upper'")]
    [InlineData("{{ labels.pod | default }}", "needs a quoted value")]
    public void Bad_templates_are_explained(string template, string expected)
    {
        var error = Assert.Throws<FormatException>(() => Template.Parse(template));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web-3:9100", "web-3")]
    [InlineData("http://web-3:9100/metrics", "web-3")]
    [InlineData("web-3", "web-3")]
    [InlineData("[::1]:80", "::1")]
    [InlineData("10.0.0.7:8080", "10.0.0.7")]
    public void Host_filter_keeps_only_the_host(string address, string expected)
    {
        Assert.Equal(expected, Template.HostOf(address));
    }

    [Theory]
    [InlineData("127.0.0.1:22#:")]
    [InlineData("169.254.169.254:80#:")]
    [InlineData("user@10.0.0.7")]
    [InlineData("web 3")]
    public void Host_filter_refuses_what_is_not_a_plain_host(string address)
    {
        Assert.Null(Template.HostOf(address));
        Assert.False(Template.Parse("http://{{ labels.instance | host }}:7080").TryRender(Alert(new() { ["instance"] = address }), out _, out var error));
        Assert.Equal("labels.instance on alert HighCPU has no plain host name or IP address for '| host'", error);
    }
}
