using System.Text;
using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Sources;

namespace AutoCapture.Tests.Sources;

public class AlertmanagerSourceTests
{
    private static readonly AlertmanagerSource Source = new();

    internal const string Payload = """
        {
          "version": "4",
          "groupKey": "{}:{alertname=\"HighCPU\"}",
          "truncatedAlerts": 0,
          "status": "firing",
          "receiver": "autocapture",
          "groupLabels": {"alertname": "HighCPU"},
          "commonLabels": {"alertname": "HighCPU"},
          "commonAnnotations": {},
          "externalURL": "http://am:9093",
          "someFieldFromTheFuture": {"nested": [1, 2, 3]},
          "alerts": [
            {
              "status": "firing",
              "labels": {"alertname": "HighCPU", "instance": "web-3:9100", "service": "checkout"},
              "annotations": {"summary": "hot"},
              "startsAt": "2026-11-21T10:00:00.123456789Z",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "http://prom:9090/graph",
              "fingerprint": "abcdef0123456789"
            },
            {
              "status": "resolved",
              "labels": {"alertname": "HighCPU", "instance": "web-4:9100"},
              "annotations": {},
              "startsAt": "2026-11-21T09:00:00Z",
              "endsAt": "2026-11-21T09:30:00Z",
              "generatorURL": "",
              "fingerprint": ""
            }
          ]
        }
        """;

    private static IReadOnlyList<Alert> Parse(string json) => Source.Parse(Encoding.UTF8.GetBytes(json));

    private static string ErrorOf(string json) => Assert.Throws<AlertPayloadException>(() => Parse(json)).Message;

    [Fact]
    public void Parses_every_field_autocapture_uses_and_ignores_unknown_ones()
    {
        var alerts = Parse(Payload);

        Assert.Equal(2, alerts.Count);
        var firing = alerts[0];
        Assert.Equal("HighCPU", firing.Name);
        Assert.Equal(AlertStatus.Firing, firing.Status);
        Assert.Equal("web-3:9100", firing.Labels["instance"]);
        Assert.Equal("hot", firing.Annotations["summary"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 0, 123, TimeSpan.Zero).AddTicks(4568), firing.StartsAt);
        Assert.Null(firing.EndsAt);
        Assert.Equal("abcdef0123456789", firing.Fingerprint);
        Assert.StartsWith("abcdef0123456789@2026-11-21T10:00:00.1234568", firing.InstanceId, StringComparison.Ordinal);
        Assert.Equal("{}:{alertname=\"HighCPU\"}", firing.GroupKey);
        Assert.Equal("http://am:9093", firing.SenderUrl);
        Assert.Equal("http://prom:9090/graph", firing.GeneratorUrl);
        Assert.Equal(AlertStatus.Resolved, alerts[1].Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 9, 30, 0, TimeSpan.Zero), alerts[1].EndsAt);
    }

    [Fact]
    public void A_missing_fingerprint_is_derived_from_the_labels_and_is_stable()
    {
        var alerts = Parse(Payload);
        var derived = alerts[1].Fingerprint;

        Assert.Matches("^[0-9a-f]{16}$", derived);
        Assert.Equal(derived, Parse(Payload)[1].Fingerprint);
        Assert.NotEqual(derived, PrometheusStyleNotification.FingerprintOf(new Dictionary<string, string> { ["alertname"] = "HighCPU", ["instance"] = "web-5:9100" }));
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("""{"alerts": []}""", "version is required")]
    [InlineData("""{"version": "3", "alerts": []}""", "version \"3\" is not supported")]
    [InlineData("""{"version": 4, "alerts": []}""", "version must be a string")]
    [InlineData("""{"version": "4"}""", "alerts is required")]
    [InlineData("""{"version": "4", "alerts": {}}""", "alerts must be an array")]
    [InlineData("""{"version": "4", "alerts": [42]}""", "alerts[0] must be an object")]
    [InlineData("""{"version": "4", "alerts": [{"labels": {}, "startsAt": "2026-01-01T00:00:00Z"}]}""", "alerts[0].status is required")]
    [InlineData("""{"version": "4", "alerts": [{"status": "burning", "labels": {}, "startsAt": "2026-01-01T00:00:00Z"}]}""", "must be \"firing\" or \"resolved\"")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "startsAt": "2026-01-01T00:00:00Z"}]}""", "alerts[0].labels is required")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1}, "startsAt": "2026-01-01T00:00:00Z"}]}""", "alerts[0].labels.a must be a string, not a number")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {}}]}""", "alerts[0].startsAt is required")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "yesterday"}]}""", "not an RFC 3339 timestamp")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "1/2/2026"}]}""", "alerts[0].startsAt '1/2/2026' is not an RFC 3339 timestamp")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "2026-01-02"}]}""", "alerts[0].startsAt '2026-01-02' is not an RFC 3339 timestamp")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "2026-01-02T10:00:00"}]}""", "is not an RFC 3339 timestamp")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "2026-01-02T10:00:00Z\n"}]}""", "is not an RFC 3339 timestamp")]
    [InlineData("""{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "Fri, 02 Jan 2026 10:00:00 GMT"}]}""", "is not an RFC 3339 timestamp")]
    public void Malformed_payloads_are_refused_with_the_field_and_the_problem(string json, string expected)
    {
        Assert.Contains(expected, ErrorOf(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused_not_recursed()
    {
        var deep = "{\"version\":\"4\",\"alerts\":[],\"x\":" + new string('[', 200) + new string(']', 200) + "}";
        Assert.Contains("not valid JSON", ErrorOf(deep), StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_label_values_are_refused()
    {
        var huge = new string('x', 20_000);
        var json = $$"""{"version": "4", "alerts": [{"status": "firing", "labels": {"a": "{{huge}}"}, "startsAt": "2026-01-01T00:00:00Z"}]}""";
        Assert.Contains("too long", ErrorOf(json), StringComparison.Ordinal);
    }
}
