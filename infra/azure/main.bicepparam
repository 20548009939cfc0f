// Parameters for main.bicep. Secrets are not kept here: infra/deploy.sh exports them (AUTOCAPTURE_ALERTMANAGER_TOKEN, …)
// and they end up only in Key Vault; app settings hold Key Vault references.
using 'main.bicep'

// Region: defaults to the resource group's.
// param location = 'westeurope'

// Resource names start with this (3–11 lower-case letters and digits).
param namePrefix = 'autocap'

// State container (manifests, limits, index); artifacts go to '<container>-artifacts'.
param capturesContainer = 'autocapture'

// Lifecycle: captures go to the cool tier after 30 days and are deleted after 180.
param coolAfterDays = 30
param deleteAfterDays = 180

// Flex Consumption scale-out limit and instance size.
param maximumInstanceCount = 40
param instanceMemoryMB = 2048

// Networking: empty appSubnetId creates a VNet (vnetAddressPrefix) with a delegated subnet for the app; peer it with
// the collectors' network. Or name an existing subnet delegated to Microsoft.App/environments.
param appSubnetId = readEnvironmentVariable('AUTOCAPTURE_APP_SUBNET_ID', '')
param vnetAddressPrefix = '10.250.0.0/16'
param appSubnetPrefix = '10.250.0.0/24'

// Where the collectors listen: the app may call only these, on this port.
param collectorAddressPrefixes = ['10.0.0.0/8']
param collectorPort = 7080

// Set by deploy.sh: lets the signed-in deployer upload the rules file.
param deployerPrincipalId = readEnvironmentVariable('AUTOCAPTURE_DEPLOYER_ID', '')

// AKS workload identity for collectors (optional).
param collectorOidcIssuer = readEnvironmentVariable('AUTOCAPTURE_COLLECTOR_OIDC_ISSUER', '')

// Supplied by deploy.sh at deployment time.
param alertmanagerToken = readEnvironmentVariable('AUTOCAPTURE_ALERTMANAGER_TOKEN', '')
param azureMonitorQuerySecret = readEnvironmentVariable('AUTOCAPTURE_AZURE_MONITOR_SECRET', '')
param readToken = readEnvironmentVariable('AUTOCAPTURE_READ_TOKEN', '')
param collectorSigningKey = readEnvironmentVariable('AUTOCAPTURE_COLLECTOR_KEY', '')
param linkSigningKey = readEnvironmentVariable('AUTOCAPTURE_LINK_KEY', '')
param slackWebhookUrl = readEnvironmentVariable('AUTOCAPTURE_SLACK_WEBHOOK_URL', '')
param teamsWebhookUrl = readEnvironmentVariable('AUTOCAPTURE_TEAMS_WEBHOOK_URL', '')
