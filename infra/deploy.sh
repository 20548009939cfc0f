#!/usr/bin/env bash
# Deploys AutoCapture's webhook side to Azure: resource group, Bicep (function app, storage, Key Vault, roles),
# then the Functions package. Needs the Azure CLI (az login first), zip and the .NET SDK.
#
#   export AUTOCAPTURE_ALERTMANAGER_TOKEN=$(openssl rand -hex 24)
#   export AUTOCAPTURE_COLLECTOR_KEY=$(openssl rand -hex 32)
#   export AUTOCAPTURE_LINK_KEY=$(openssl rand -hex 32)
#   export AUTOCAPTURE_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/…   # optional
#   infra/deploy.sh <resource-group> <region> [rules.yaml]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
group="${1:?usage: deploy.sh <resource-group> <region> [rules.yaml]}"
region="${2:?usage: deploy.sh <resource-group> <region> [rules.yaml]}"
rules="${3:-$root/infra/azure/rules.yaml}"
for variable in AUTOCAPTURE_ALERTMANAGER_TOKEN AUTOCAPTURE_COLLECTOR_KEY AUTOCAPTURE_LINK_KEY; do
  [ -n "${!variable:-}" ] || { echo "deploy.sh: set $variable (see the comment at the top)" >&2; exit 2; }
done

az group create --name "$group" --location "$region" --output none

# main.bicepparam reads the secrets from the environment; they go to Key Vault, not into app settings.
outputs="$(az deployment group create --resource-group "$group" --name autocapture \
  --template-file "$root/infra/azure/main.bicep" --parameters "$root/infra/azure/main.bicepparam" \
  --query properties.outputs --output json)"
value() { echo "$outputs" | sed -n "/\"$1\"/,/}/s/.*\"value\": *\"\([^\"]*\)\".*/\1/p" | head -1; }
app="$(value functionAppName)"
account="$(value storageAccountName)"
container="$(value capturesContainer)"

# The rules file travels in the package (AutoCapture__RulesFile=rules.yaml).
zip="$(AUTOCAPTURE_RULES="$rules" "$root/infra/publish-functions.sh")"
az functionapp deployment source config-zip --resource-group "$group" --name "$app" --src "$zip" --output none

key="$(az functionapp keys list --resource-group "$group" --name "$app" --query functionKeys.default --output tsv)"
echo "Alertmanager webhook:  $(value alertmanagerWebhookUrl)?code=<function key>  (az functionapp keys list -g $group -n $app)"
echo "Azure Monitor webhook: $(value azureMonitorWebhookUrl)?code=<function key>"
[ -n "$key" ] || echo "(no function key yet: the host creates it on first start; run the keys list command again)"

# Collectors need only to create and write blobs in the captures container: a write-only SAS.
expiry="$(date -u -d '+90 days' '+%Y-%m-%dT%H:%MZ')"
sas="$(az storage container generate-sas --account-name "$account" --name "$container" --permissions cw \
  --expiry "$expiry" --https-only --auth-mode key --output tsv)"
echo "Collector store settings (put them in the collector's secret / environment file):"
echo "  AutoCapture__Store__Kind=azureblob"
echo "  AutoCapture__Store__ServiceUri=$(value blobEndpoint)"
echo "  AutoCapture__Store__Container=$container"
echo "  AutoCapture__Store__Sas=<the SAS below, valid until $expiry>"
mkdir -p "$root/artifacts"
echo "$sas" > "$root/artifacts/collector-sas.txt"
chmod 600 "$root/artifacts/collector-sas.txt"
echo "  (written to artifacts/collector-sas.txt, readable only by you)"
