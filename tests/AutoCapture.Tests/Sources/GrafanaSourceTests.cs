using System.Text;
using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Sources;

namespace AutoCapture.Tests.Sources;

public class GrafanaSourceTests
{
    private static readonly GrafanaSource Source = new();

    [Fact]
    public void Parses_grafana_alerts_with_values_and_links_as_annotations()
    {
        var alert = Assert.Single(Source.Parse(Payloads.Read("grafana.json")));

        Assert.Equal("grafana", alert.Source);
        Assert.Equal("CheckoutLatency", alert.Name);
        Assert.Equal(AlertStatus.Firing, alert.Status);
        Assert.Equal("web-3:8080", alert.Labels["instance"]);
        Assert.Equal("2.31", alert.Annotations["values.B"]);
        Assert.Equal("1", alert.Annotations["values.C"]);
        Assert.Equal("https://grafana.example/d/dashboard_uid?orgId=1&viewPanel=1", alert.Annotations["panelURL"]);
        Assert.StartsWith("57c6d9296de2ad39@2026-11-21T16:00:00", alert.InstanceId, StringComparison.Ordinal);
        Assert.Null(alert.EndsAt);
    }

    [Theory]
    [InlineData("""{"version":"4","alerts":[]}""", "version \"4\" is not supported; expected \"1\"")]
    [InlineData("""{"version":"1","orgId":"one","alerts":[]}""", "orgId must be a number")]
    [InlineData("""{"version":"1","alerts":[{"status":"firing","labels":{},"startsAt":"2026-01-01T00:00:00Z","values":{"B":"high"}}]}""", "alerts[0].values.B must be a number")]
    [InlineData("""{"version":"1","alerts":[{"status":"firing","labels":{},"startsAt":"2026-01-01T00:00:00Z","values":[1]}]}""", "values must be an object of numbers")]
    public void Malformed_payloads_are_explained(string json, string expected)
    {
        var error = Assert.Throws<AlertPayloadException>(() => Source.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
