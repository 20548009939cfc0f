// AutoCapture on Azure: the webhook app as a Flex Consumption function app (custom handler), a storage
// account whose container holds captures and state, and a Key Vault with the secrets. Deploy with
// infra/deploy.sh (see the README's "Deploy to Azure").

targetScope = 'resourceGroup'

@description('Region for every resource.')
param location string = resourceGroup().location

@description('Prefix for resource names: lower-case letters and digits, 3–11 characters.')
@minLength(3)
@maxLength(11)
param namePrefix string = 'autocap'

@description('Container that holds captures/ and state/ (AutoCapture:Store:Container).')
param capturesContainer string = 'autocapture'

@description('Captures move to the cool tier after this many days without change.')
@minValue(1)
param coolAfterDays int = 30

@description('Captures are deleted after this many days without change (must exceed coolAfterDays).')
@minValue(2)
param deleteAfterDays int = 180

@description('Most instances the function app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance (MB): 2048 or 4096 on Flex Consumption.')
@allowed([ 2048, 4096 ])
param instanceMemoryMB int = 2048

@description('Allow account-key (Shared Key) access. Needed only to hand collectors a service SAS signed with the key; with false, give collectors user delegation SAS tokens (at most 7 days).')
param allowSharedKeyAccess bool = true

@description('Bearer token Alertmanager sends (AutoCapture:Sources:Alertmanager:BearerToken).')
@secure()
param alertmanagerToken string

@description('HMAC key shared with the collectors, at least 16 characters (AutoCapture:Collector:SigningKey).')
@secure()
param collectorSigningKey string

@description('HMAC key for expiring capture links, at least 16 characters (AutoCapture:Links:SigningKey).')
@secure()
param linkSigningKey string

@description('Collectors the app may call, as host[:port] or CIDR[:port] (AutoCapture:Collector:AllowedCollectors). Required: rules.yaml takes the collector host from alert labels, and the app refuses to start without an allowlist then.')
@minLength(1)
param allowedCollectors array

@description('Slack incoming-webhook URL; empty for console-only chat.')
@secure()
param slackWebhookUrl string = ''

var suffix = uniqueString(resourceGroup().id, namePrefix)
var storageName = take('${namePrefix}${suffix}', 24)
var appName = '${namePrefix}-${suffix}'
var vaultName = take('${namePrefix}kv${suffix}', 24)
var packageContainer = 'app-package'

// Built-in role definition ids.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource captures 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: capturesContainer
  properties: {
    publicAccess: 'None'
  }
}

resource deploymentPackages 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: packageContainer
  properties: {
    publicAccess: 'None'
  }
}

// Artifacts are big and rarely read after the postmortem: cool them, then delete them. State (dedup,
// cooldowns) stays hot; housekeeping removes what has expired.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'captures-cool-then-delete'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [ 'blockBlob' ]
              prefixMatch: [ '${capturesContainer}/captures/' ]
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: coolAfterDays
                }
                delete: {
                  daysAfterModificationGreaterThan: deleteAfterDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource alertmanagerTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'alertmanager-token'
  properties: {
    value: alertmanagerToken
  }
}

resource collectorKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'collector-signing-key'
  properties: {
    value: collectorSigningKey
  }
}

resource linkKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'link-signing-key'
  properties: {
    value: linkSigningKey
  }
}

resource slackSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackWebhookUrl)) {
  parent: vault
  name: 'slack-webhook-url'
  properties: {
    value: slackWebhookUrl
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

var baseSettings = [
  // The Functions host's own storage, reached with the app's identity (no connection string).
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'AutoCapture__Store__Kind', value: 'azureblob' }
  { name: 'AutoCapture__Store__AccountUrl', value: storage.properties.primaryEndpoints.blob }
  { name: 'AutoCapture__Store__Credential', value: 'managedidentity' }
  { name: 'AutoCapture__Store__Container', value: capturesContainer }
  { name: 'AutoCapture__RulesFile', value: 'rules.yaml' }
  { name: 'AutoCapture__PublicBaseUrl', value: 'https://${appName}.azurewebsites.net' }
  { name: 'AutoCapture__JsonLogs', value: 'true' }
  { name: 'AutoCapture__Sources__Alertmanager__BearerToken', value: '@Microsoft.KeyVault(SecretUri=${alertmanagerTokenSecret.properties.secretUri})' }
  { name: 'AutoCapture__Collector__SigningKey', value: '@Microsoft.KeyVault(SecretUri=${collectorKeySecret.properties.secretUri})' }
  { name: 'AutoCapture__Links__SigningKey', value: '@Microsoft.KeyVault(SecretUri=${linkKeySecret.properties.secretUri})' }
]

var collectorSettings = [for (entry, i) in allowedCollectors: { name: 'AutoCapture__Collector__AllowedCollectors__${i}', value: entry }]

var chatSettings = empty(slackWebhookUrl) ? [] : [
  { name: 'AutoCapture__Chat__Default', value: 'slack' }
  { name: 'AutoCapture__Chat__Slack__WebhookUrl', value: '@Microsoft.KeyVault(SecretUri=${slackSecret.properties.secretUri})' }
]

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${packageContainer}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(baseSettings, collectorSettings, chatSettings)
    }
  }
}

// The app reads and writes captures and state, and signs user delegation SAS links for chat.
resource appBlobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, app.id, storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The Functions host keeps its leases and the deployment package in the same account with identity access.
resource hostBlobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, app.id, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault references in app settings resolve with the app's identity.
resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output functionAppName string = app.name
output storageAccountName string = storage.name
output keyVaultName string = vault.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output capturesContainer string = capturesContainer
@description('Alertmanager posts here; add the function key (az functionapp keys list) as ?code= or the x-functions-key header.')
output alertmanagerWebhookUrl string = 'https://${app.properties.defaultHostName}/api/alerts/alertmanager'
@description('Azure Monitor action groups post here (common alert schema), with the function key as ?code=.')
output azureMonitorWebhookUrl string = 'https://${app.properties.defaultHostName}/api/alerts/azuremonitor'
output completionUrlBase string = 'https://${app.properties.defaultHostName}/api/captures'
