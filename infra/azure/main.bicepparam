// Parameters for main.bicep. Secrets are not kept here: infra/deploy.sh passes them on the command line
// from environment variables (AUTOCAPTURE_ALERTMANAGER_TOKEN, …), and they end up only in Key Vault.
using 'main.bicep'

// Region: defaults to the resource group's.
// param location = 'westeurope'

// Resource names start with this (3–11 lower-case letters and digits).
param namePrefix = 'autocap'

// Blob container for captures/ and state/.
param capturesContainer = 'autocapture'

// Lifecycle: captures go to the cool tier after 30 days and are deleted after 180.
param coolAfterDays = 30
param deleteAfterDays = 180

// Flex Consumption scale-out limit and instance size.
param maximumInstanceCount = 40
param instanceMemoryMB = 2048

// Keep account-key access so collectors can get a service SAS (write-only, captures container).
param allowSharedKeyAccess = true

// Collectors the app may call (rules.yaml takes the collector host from alert labels): your collectors'
// subnet and port. Link-local and metadata addresses stay refused unless an entry names them.
param allowedCollectors = ['10.0.0.0/8:7080']

// Supplied by deploy.sh at deployment time.
param alertmanagerToken = readEnvironmentVariable('AUTOCAPTURE_ALERTMANAGER_TOKEN', '')
param collectorSigningKey = readEnvironmentVariable('AUTOCAPTURE_COLLECTOR_KEY', '')
param linkSigningKey = readEnvironmentVariable('AUTOCAPTURE_LINK_KEY', '')
param slackWebhookUrl = readEnvironmentVariable('AUTOCAPTURE_SLACK_WEBHOOK_URL', '')
