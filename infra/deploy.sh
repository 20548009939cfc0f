#!/usr/bin/env bash
# Deploys AutoCapture's webhook side to Azure: resource group, Bicep (function app in a VNet, storage, Key Vault,
# identities and roles), the Functions package, and the rules file into its blob container. Ends by printing
# the Alertmanager receiver and the Azure Monitor action-group webhook URL, filled in. Needs the Azure CLI
# (az login as someone who may create role assignments and custom roles), zip and the .NET SDK.
#
#   export AUTOCAPTURE_ALERTMANAGER_TOKEN=$(openssl rand -hex 24)
#   export AUTOCAPTURE_AZURE_MONITOR_SECRET=$(openssl rand -hex 24)
#   export AUTOCAPTURE_READ_TOKEN=$(openssl rand -hex 24)
#   export AUTOCAPTURE_COLLECTOR_KEY=$(openssl rand -hex 32)
#   export AUTOCAPTURE_LINK_KEY=$(openssl rand -hex 32)
#   export AUTOCAPTURE_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/…   # optional
#   export AUTOCAPTURE_TEAMS_WEBHOOK_URL=https://…logic.azure.com/…           # optional
#   infra/deploy.sh <resource-group> <region> [rules.yaml]
#
# AUTOCAPTURE_PACKAGE=<zip> deploys a package built earlier (infra/publish-functions.sh) instead of building one.
# Later rule changes need no redeploy: upload the file again (the command is printed at the end).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
usage="usage: deploy.sh <resource-group> <region> [rules.yaml]"
group="${1:?$usage}"
region="${2:?$usage}"
rules="${3:-$root/infra/azure/rules.yaml}"
for variable in AUTOCAPTURE_ALERTMANAGER_TOKEN AUTOCAPTURE_AZURE_MONITOR_SECRET AUTOCAPTURE_READ_TOKEN AUTOCAPTURE_COLLECTOR_KEY AUTOCAPTURE_LINK_KEY; do
  [ -n "${!variable:-}" ] || { echo "deploy.sh: set $variable (see the comment at the top)" >&2; exit 2; }
done
[ -f "$rules" ] || { echo "deploy.sh: no rules file at $rules" >&2; exit 2; }

az group create --name "$group" --location "$region" --output none

# main.bicepparam reads the secrets from the environment; they go to Key Vault, and app settings reference them.
AUTOCAPTURE_DEPLOYER_ID="$(az ad signed-in-user show --query id --output tsv)"
export AUTOCAPTURE_DEPLOYER_ID
az deployment group create --resource-group "$group" --name autocapture \
  --template-file "$root/infra/azure/main.bicep" --parameters "$root/infra/azure/main.bicepparam" --output none
output() { az deployment group show --resource-group "$group" --name autocapture --query "properties.outputs.$1.value" --output tsv; }
app="$(output functionAppName)"
account="$(output storageAccountName)"

# Shared keys are off: the rules go up with the deployer's sign-in, whose role on the config container may
# take a minute to reach the storage service.
upload_rules=(az storage blob upload --auth-mode login --account-name "$account" --container-name "$(output configContainer)"
  --name "$(output rulesBlob)" --file "$rules" --overwrite --output none)
for attempt in 1 2 3 4 5 6; do
  "${upload_rules[@]}" && break
  [ "$attempt" -lt 6 ] || { echo "deploy.sh: could not upload the rules file" >&2; exit 1; }
  sleep 20
done

zip="${AUTOCAPTURE_PACKAGE:-$("$root/infra/publish-functions.sh")}"
az functionapp deployment source config-zip --resource-group "$group" --name "$app" --src "$zip" --output none

key="$(az functionapp keys list --resource-group "$group" --name "$app" --query functionKeys.default --output tsv)"
if [ -z "$key" ]; then
  echo "(no function key yet: the host creates it on first start; run deploy.sh again or: az functionapp keys list -g $group -n $app)" >&2
  key="<function key>"
fi

cat <<EOF

Alertmanager receiver (alertmanager.yml; put \$AUTOCAPTURE_ALERTMANAGER_TOKEN in the credentials file):
receivers:
  - name: autocapture
    webhook_configs:
      - url: $(output alertmanagerWebhookUrl)?code=$key
        send_resolved: false
        max_alerts: 100
        http_config:
          authorization:
            type: Bearer
            credentials_file: /etc/alertmanager/secrets/autocapture-token

Azure Monitor action-group webhook URL (common alert schema):
  $(output azureMonitorWebhookUrl)?code=$key&token=$AUTOCAPTURE_AZURE_MONITOR_SECRET
  az deployment group create -g $group -f infra/azure/action-group.bicep -p webhookUrl='$(output azureMonitorWebhookUrl)?code=$key&token=$AUTOCAPTURE_AZURE_MONITOR_SECRET'

CLI: export AUTOCAPTURE_URL=https://$app.azurewebsites.net AUTOCAPTURE_TOKEN=\$AUTOCAPTURE_READ_TOKEN

Collector settings on Azure (identity $(output collectorIdentityId): assign it to the VM or use AKS workload identity):
  AutoCapture__Store__Kind=azureblob
  AutoCapture__Store__AccountUrl=$(output blobEndpoint)
  AutoCapture__Store__Credential=managedidentity
  AutoCapture__Store__ManagedIdentityClientId=$(output collectorIdentityClientId)
  AutoCapture__Store__Container=$(output capturesContainer)
  AutoCapture__Store__ArtifactsContainer=$(output artifactsContainer)

Change the rules without redeploying (the app reloads them; an invalid file keeps the old rules and posts one notice):
  ${upload_rules[*]}
EOF
