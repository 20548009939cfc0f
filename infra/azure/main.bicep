// AutoCapture on Azure: the webhook app as a Flex Consumption function app (.NET isolated worker) integrated
// into a VNet so it reaches collectors on private addresses; a storage account with a state container
// (manifests, limits, index), an artifacts container (what collectors upload) and a config container (the
// rules file, reloaded when it changes); a Key Vault holding every secret; identities and role assignments so
// no account key or secret value sits in app settings. Deploy with infra/deploy.sh (docs/azure.md walks through it).

targetScope = 'resourceGroup'

@description('Region for every resource.')
param location string = resourceGroup().location

@description('Prefix for resource names: lower-case letters and digits, 3–11 characters.')
@minLength(3)
@maxLength(11)
param namePrefix string = 'autocap'

@description('State container: manifests, limit state and the index (AutoCapture:Store:Container).')
param capturesContainer string = 'autocapture'

@description('Artifacts container: what collectors upload (AutoCapture:Store:ArtifactsContainer).')
param artifactsContainer string = '${capturesContainer}-artifacts'

@description('Container holding the rules file the app reads at start and reloads when it changes.')
param configContainer string = 'config'

@description('Rules file name in the config container (infra/deploy.sh uploads infra/azure/rules.yaml there).')
param rulesBlob string = 'rules.yaml'

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

@description('An existing subnet for the app (delegated to Microsoft.App/environments, /28 or larger, in a VNet that reaches the collectors). Empty: a new VNet with such a subnet is created; peer it with the collectors\' network.')
param appSubnetId string = ''

@description('Address space of the VNet created when appSubnetId is empty; must not overlap the collectors\' networks it is peered with.')
param vnetAddressPrefix string = '10.250.0.0/16'

@description('The app subnet inside that VNet.')
param appSubnetPrefix string = '10.250.0.0/24'

@description('Private networks the collectors listen on. The app may call only these (AutoCapture:Collector:AllowedCollectors), and the subnet\'s NSG lets it reach them on collectorPort.')
@minLength(1)
param collectorAddressPrefixes array = [ '10.0.0.0/8' ]

@description('Port the collectors listen on.')
param collectorPort int = 7080

@description('Object id of whoever deploys (az ad signed-in-user show --query id): may upload the rules file. Empty: grant it yourself.')
param deployerPrincipalId string = ''

@description('For collectors on AKS with workload identity: the cluster\'s OIDC issuer URL. Empty: no federated credential.')
param collectorOidcIssuer string = ''

@description('The collectors\' Kubernetes service account as namespace:name (with collectorOidcIssuer).')
param collectorServiceAccount string = 'autocapture:autocapture-collector'

@description('Bearer token Alertmanager sends (AutoCapture:Sources:Alertmanager:BearerToken).')
@secure()
param alertmanagerToken string

@description('Secret an Azure Monitor action group sends as ?token= (AutoCapture:Sources:AzureMonitor:QuerySecret), at least 16 characters.')
@secure()
param azureMonitorQuerySecret string

@description('Token the CLI sends to read captures (AutoCapture:Api:ReadTokens:0), at least 16 characters.')
@secure()
param readToken string

@description('HMAC key shared with the collectors, at least 16 characters (AutoCapture:Collector:SigningKey).')
@secure()
param collectorSigningKey string

@description('HMAC key for expiring capture links, at least 16 characters (AutoCapture:Links:SigningKey).')
@secure()
param linkSigningKey string

@description('Slack incoming-webhook URL; empty for none.')
@secure()
param slackWebhookUrl string = ''

@description('Teams Workflows webhook URL; empty for none.')
@secure()
param teamsWebhookUrl string = ''

var suffix = uniqueString(resourceGroup().id, namePrefix)
var storageName = take('${namePrefix}${suffix}', 24)
var appName = '${namePrefix}-${suffix}'
var vaultName = take('${namePrefix}kv${suffix}', 24)
var packageContainer = 'app-package'
var createVnet = empty(appSubnetId)
var vnetName = '${namePrefix}-vnet-${suffix}'
var subnetId = createVnet ? resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, 'functions') : appSubnetId

// Built-in role definition ids. Storage Blob Data Contributor includes generateUserDelegationKey/action, which
// the app needs to sign user-delegation SAS links and upload grants (Storage Blob Delegator is a subset).
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
    // Everyone reaches the account with Entra ID: the app and the Functions host by managed identity,
    // collectors by their own identity or a user-delegation grant, so no account key is ever handed out.
    allowSharedKeyAccess: false
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

resource artifacts 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: artifactsContainer
  properties: {
    publicAccess: 'None'
  }
}

resource config 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: configContainer
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

// Artifacts are big and rarely read after the postmortem: cool them, then delete them with their manifests.
// Limit state stays hot; housekeeping removes what has expired.
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
              prefixMatch: [ '${capturesContainer}/captures/', '${artifactsContainer}/captures/' ]
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

// Flex Consumption's outbound addresses are not fixed, so collectors cannot allow the app by IP: the app
// calls them from this subnet instead. Outbound is allowed to the collectors' port only (infra/README.md).
resource appNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = if (createVnet) {
  name: '${namePrefix}-app-nsg-${suffix}'
  location: location
  properties: {
    securityRules: [
      {
        name: 'collectors'
        properties: {
          priority: 100
          direction: 'Outbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: appSubnetPrefix
          sourcePortRange: '*'
          destinationAddressPrefixes: collectorAddressPrefixes
          destinationPortRange: string(collectorPort)
        }
      }
      {
        // Other private destinations stay closed: a rule's templated collector address cannot reach them
        // even past the app's own allowlist.
        name: 'deny-other-private'
        properties: {
          priority: 200
          direction: 'Outbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: appSubnetPrefix
          sourcePortRange: '*'
          destinationAddressPrefix: 'VirtualNetwork'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = if (createVnet) {
  name: vnetName
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [ vnetAddressPrefix ]
    }
    subnets: [
      {
        name: 'functions'
        properties: {
          addressPrefix: appSubnetPrefix
          networkSecurityGroup: {
            id: appNsg.id
          }
          // Flex Consumption integrates only with a subnet delegated to Microsoft.App/environments.
          delegations: [
            {
              name: 'flex'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
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

resource azureMonitorSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'azure-monitor-query-secret'
  properties: {
    value: azureMonitorQuerySecret
  }
}

resource readTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'read-token'
  properties: {
    value: readToken
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

resource teamsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(teamsWebhookUrl)) {
  parent: vault
  name: 'teams-webhook-url'
  properties: {
    value: teamsWebhookUrl
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

// Flex Consumption takes the worker runtime from functionAppConfig.runtime and refuses FUNCTIONS_WORKER_RUNTIME
// and FUNCTIONS_EXTENSION_VERSION as app settings; the platform hands the worker dotnet-isolated itself.
var baseSettings = [
  // The Functions host's own storage, reached with the app's identity (no connection string).
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'AutoCapture__Store__Kind', value: 'azureblob' }
  { name: 'AutoCapture__Store__AccountUrl', value: storage.properties.primaryEndpoints.blob }
  { name: 'AutoCapture__Store__Credential', value: 'managedidentity' }
  { name: 'AutoCapture__Store__Container', value: capturesContainer }
  { name: 'AutoCapture__Store__ArtifactsContainer', value: artifactsContainer }
  { name: 'AutoCapture__Rules__BlobUri', value: '${storage.properties.primaryEndpoints.blob}${configContainer}/${rulesBlob}' }
  { name: 'AutoCapture__Rules__Credential', value: 'managedidentity' }
  { name: 'AutoCapture__PublicBaseUrl', value: 'https://${appName}.azurewebsites.net' }
  { name: 'AutoCapture__JsonLogs', value: 'true' }
  { name: 'AutoCapture__Sources__Alertmanager__BearerToken', value: '@Microsoft.KeyVault(SecretUri=${alertmanagerTokenSecret.properties.secretUri})' }
  { name: 'AutoCapture__Sources__AzureMonitor__QuerySecret', value: '@Microsoft.KeyVault(SecretUri=${azureMonitorSecret.properties.secretUri})' }
  { name: 'AutoCapture__Api__ReadTokens__0', value: '@Microsoft.KeyVault(SecretUri=${readTokenSecret.properties.secretUri})' }
  { name: 'AutoCapture__Collector__SigningKey', value: '@Microsoft.KeyVault(SecretUri=${collectorKeySecret.properties.secretUri})' }
  { name: 'AutoCapture__Links__SigningKey', value: '@Microsoft.KeyVault(SecretUri=${linkKeySecret.properties.secretUri})' }
]

var collectorSettings = [for (prefix, i) in collectorAddressPrefixes: { name: 'AutoCapture__Collector__AllowedCollectors__${i}', value: '${prefix}:${collectorPort}' }]

var slackSettings = empty(slackWebhookUrl) ? [] : [
  { name: 'AutoCapture__Chat__Slack__WebhookUrl', value: '@Microsoft.KeyVault(SecretUri=${slackSecret.properties.secretUri})' }
]

var teamsSettings = empty(teamsWebhookUrl) ? [] : [
  { name: 'AutoCapture__Chat__Channels__teams__Type', value: 'teams' }
  { name: 'AutoCapture__Chat__Channels__teams__Url', value: '@Microsoft.KeyVault(SecretUri=${teamsSecret.properties.secretUri})' }
]

var chatSettings = concat(slackSettings, teamsSettings, [
  { name: 'AutoCapture__Chat__Default', value: !empty(slackWebhookUrl) ? 'slack' : !empty(teamsWebhookUrl) ? 'teams' : 'console' }
])

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
    // Outbound calls to private addresses (the collectors) leave through the VNet.
    virtualNetworkSubnetId: subnetId
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
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(baseSettings, collectorSettings, chatSettings)
    }
  }
  // subnetId is built from names, so the dependency on the VNet it names has to be stated.
  dependsOn: [ vnet ]
}

// The app reads and writes state and artifacts, reads the rules file, and signs user-delegation SAS links.
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

// deploy.sh uploads the rules file with the deployer's own Entra sign-in (shared keys are off).
resource deployerRules 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(config.id, deployerPrincipalId, storageBlobDataContributor)
  scope: config
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: deployerPrincipalId
  }
}

// Collectors on Azure (VMs, AKS) sign in as this identity.
resource collectorIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-collector-${suffix}'
  location: location
}

resource collectorFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = if (!empty(collectorOidcIssuer)) {
  parent: collectorIdentity
  name: 'kubernetes'
  properties: {
    issuer: collectorOidcIssuer
    subject: 'system:serviceaccount:${collectorServiceAccount}'
    audiences: [ 'api://AzureADTokenExchange' ]
  }
}

// Create and write blobs, nothing else: no read, no delete, no listing. Assigned on the artifacts container
// only, so a collector can never touch manifests, limit state, the index or the rules.
resource artifactWriter 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, namePrefix, 'autocapture-artifact-writer')
  properties: {
    roleName: 'AutoCapture artifact writer (${namePrefix}-${suffix})'
    description: 'Creates and writes blobs in the AutoCapture artifacts container; cannot read, list or delete.'
    type: 'CustomRole'
    assignableScopes: [ resourceGroup().id ]
    permissions: [
      {
        actions: []
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
        ]
      }
    ]
  }
}

resource collectorArtifacts 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(artifacts.id, collectorIdentity.id, artifactWriter.id)
  scope: artifacts
  properties: {
    roleDefinitionId: artifactWriter.id
    principalId: collectorIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output functionAppName string = app.name
output storageAccountName string = storage.name
output keyVaultName string = vault.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output capturesContainer string = capturesContainer
output artifactsContainer string = artifactsContainer
output configContainer string = configContainer
output rulesBlob string = rulesBlob
output appSubnetId string = subnetId
output collectorIdentityClientId string = collectorIdentity.properties.clientId
output collectorIdentityId string = collectorIdentity.id
@description('Alertmanager posts here with its bearer token; add the function key (az functionapp keys list) as ?code=.')
output alertmanagerWebhookUrl string = 'https://${app.properties.defaultHostName}/api/alerts/alertmanager'
@description('Azure Monitor action groups post here (common alert schema), with ?code=<function key>&token=<query secret>.')
output azureMonitorWebhookUrl string = 'https://${app.properties.defaultHostName}/api/alerts/azuremonitor'
output completionUrlBase string = 'https://${app.properties.defaultHostName}/api/captures'
