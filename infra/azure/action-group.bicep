// Sample: an Azure Monitor action group that sends alerts to AutoCapture's webhook in the common alert
// schema. Attach it to metric or log alert rules on the services AutoCapture should capture.
// Deploy: az deployment group create -g <rg> -f infra/azure/action-group.bicep -p webhookUrl='https://…/api/alerts/azuremonitor?code=<function key>'

@description('AutoCapture webhook URL including the function key (?code=…): the azureMonitorWebhookUrl output of main.bicep plus the key.')
@secure()
param webhookUrl string

@description('Action group name.')
param name string = 'autocapture'

@description('Short name shown in notifications (at most 12 characters).')
@maxLength(12)
param shortName string = 'autocapture'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: name
  location: 'Global'
  properties: {
    groupShortName: shortName
    enabled: true
    webhookReceivers: [
      {
        name: 'autocapture'
        serviceUri: webhookUrl
        // AutoCapture reads the common alert schema (data.essentials, data.alertContext).
        useCommonAlertSchema: true
      }
    ]
  }
}

output actionGroupId string = actionGroup.id
