using System.Text;
using System.Text.Json.Nodes;
using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Sources;

namespace AutoCapture.Tests.Sources;

public class AzureMonitorSourceTests
{
    private static readonly AzureMonitorSource Source = new();

    private static Alert ParseOne(string file) => Assert.Single(Source.Parse(Payloads.Read(file)));

    private static string ErrorOf(string json) =>
        Assert.Throws<AlertPayloadException>(() => Source.Parse(Encoding.UTF8.GetBytes(json))).Message;

    [Fact]
    public void Metric_alerts_carry_dimensions_and_the_target_resource_as_labels()
    {
        var alert = ParseOne("azure-metric.json");

        Assert.Equal("checkout-vm-high-cpu", alert.Name);
        Assert.Equal(AlertStatus.Firing, alert.Status);
        Assert.Equal("checkout", alert.Labels["process"]);
        Assert.Equal("web-3", alert.Labels["configurationItem"]);
        Assert.Equal("web-3", alert.Labels["resourceName"]);
        Assert.Equal("shop-prod", alert.Labels["resourceGroup"]);
        Assert.Equal("microsoft.compute/virtualmachines", alert.Labels["resourceType"]);
        Assert.Equal("11111111-2222-3333-4444-555555555555", alert.Labels["subscriptionId"]);
        Assert.Equal("Sev2", alert.Labels["severity"]);
        Assert.Equal("Percentage CPU", alert.Annotations["metricName"]);
        Assert.Equal("payments", alert.Annotations["team"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 13, 58, 24, TimeSpan.Zero).AddTicks(3713213), alert.StartsAt);
        Assert.EndsWith("alerts/b9569717-bc32-442f-add5-83a997729330", alert.InstanceId, StringComparison.Ordinal);
        Assert.Equal("azuremonitor:checkout-vm-high-cpu", alert.GroupKey);
    }

    [Fact]
    public void Log_search_alerts_carry_their_dimensions()
    {
        var alert = ParseOne("azure-log-v2.json");

        Assert.Equal("web-7", alert.Labels["Computer"]);
        Assert.Equal("4242", alert.Labels["ProcessId"]);
        Assert.Equal("shop-logs", alert.Labels["resourceName"]);
        Assert.Equal("Log Alerts V2", alert.Labels["monitoringService"]);
    }

    [Fact]
    public void Managed_prometheus_alerts_carry_their_labels_and_annotations()
    {
        var alert = ParseOne("azure-prometheus.json");

        Assert.Equal("KubePodHighCpu", alert.Name);
        Assert.Equal("checkout-7f9c6d5b8-x2x9z", alert.Labels["pod"]);
        Assert.Equal("10.1.2.3:8080", alert.Labels["instance"]);
        Assert.Equal("checkout pod CPU high", alert.Annotations["summary"]);
    }

    [Fact]
    public void Resolved_alerts_keep_the_alert_id_so_they_match_their_firing()
    {
        var json = JsonNode.Parse(Payloads.Text("azure-metric.json"))!;
        json["data"]!["essentials"]!["monitorCondition"] = "Resolved";
        json["data"]!["essentials"]!["resolvedDateTime"] = "2026-11-21T14:30:00Z";

        var resolved = Assert.Single(Source.Parse(Encoding.UTF8.GetBytes(json.ToJsonString())));

        Assert.Equal(AlertStatus.Resolved, resolved.Status);
        Assert.Equal(ParseOne("azure-metric.json").InstanceId, resolved.InstanceId);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 14, 30, 0, TimeSpan.Zero), resolved.EndsAt);
    }

    [Theory]
    [InlineData("""{"data":{}}""", "schemaId is required; enable the common alert schema")]
    [InlineData("""{"schemaId":"Microsoft.Insights/activityLogs","data":{}}""", "is not supported; enable the common alert schema")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema"}""", "data is required")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertRule":"r","monitorCondition":"Fired","firedDateTime":"2026-01-01T00:00:00Z"}}}""", "data.essentials.alertId is required")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","alertRule":"r","monitorCondition":"Burning","firedDateTime":"2026-01-01T00:00:00Z"}}}""", "must be \"Fired\" or \"Resolved\"")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","alertRule":"r","monitorCondition":"Fired","firedDateTime":"2026-01-01T00:00:00Z","alertTargetIDs":"x"}}}""", "alertTargetIDs must be an array")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","alertRule":"r","monitorCondition":"Fired","firedDateTime":"2026-01-01T00:00:00Z"},"alertContext":{"condition":{"allOf":[{"dimensions":[{"name":"a"}]}]}}}}""", "dimensions[0].value is required")]
    public void Malformed_payloads_are_explained(string json, string expected)
    {
        Assert.Contains(expected, ErrorOf(json), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/subscriptions/s1/resourceGroups/g1/providers/Microsoft.Web/sites/shop", "Microsoft.Web/sites", "shop")]
    [InlineData("/subscriptions/s1/resourceGroups/g1/providers/Microsoft.Web/sites/shop/slots/staging", "Microsoft.Web/sites/slots", "staging")]
    [InlineData("/subscriptions/s1/resourcegroups/g1/providers/microsoft.containerservice/managedclusters/aks-1", "microsoft.containerservice/managedclusters", "aks-1")]
    public void Arm_resource_ids_yield_their_type_and_name(string id, string type, string name)
    {
        var parts = ArmResourceId.Parts(id).ToDictionary(p => p.Name, p => p.Value);

        Assert.Equal("s1", parts["subscriptionId"]);
        Assert.Equal("g1", parts["resourceGroup"]);
        Assert.Equal(type, parts["resourceType"]);
        Assert.Equal(name, parts["resourceName"]);
    }
}
