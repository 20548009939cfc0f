#!/usr/bin/env bash
# Builds the Azure Functions deployment package for the webhook app, run as a .NET isolated worker
# (functions/AutoCapture.Functions/FunctionsHost/README.md):
#   host.json                         (repo root: routePrefix api, logging, functionTimeout)
#   functions.metadata                (the functions, from the Worker SDK: routes, auth levels, the timer schedule)
#   worker.config.json                (how the host starts the worker: dotnet autocapture-functions.dll)
#   extensions.json, .azurefunctions/ (the host-side extensions the Worker SDK built)
#   autocapture-functions.dll + deps  (framework-dependent for linux-x64: the host provides .NET)
#   rules.yaml                        ($AUTOCAPTURE_RULES, default infra/azure/rules.yaml)
# Usage: infra/publish-functions.sh [output folder]   (default artifacts/functions); prints the zip's path.
# Deploy with infra/deploy.sh, or: az functionapp deployment source config-zip --src <zip> ...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/artifacts/functions}" && cd "${1:-$root/artifacts/functions}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A private artifacts path keeps this build from touching the repository's bin/ and obj/ (a test may run it
# while the solution's own build output is in use).
dotnet publish "$root/functions/AutoCapture.Functions/AutoCapture.Functions.csproj" \
  -c Release -r linux-x64 --self-contained false -p:DebugType=none \
  --artifacts-path "$work/build" -o "$work/package" \
  --nologo -v quiet -clp:ErrorsOnly >&2

for required in functions.metadata worker.config.json extensions.json autocapture-functions.dll; do
  if [ ! -f "$work/package/$required" ]; then
    echo "publish-functions: the published worker has no $required" >&2
    exit 1
  fi
done
if grep -q '"customHandler"' "$root/host.json"; then
  echo "publish-functions: host.json still declares a custom handler; the app is an isolated worker" >&2
  exit 1
fi

cp "$root/host.json" "$work/package/host.json"
cp "${AUTOCAPTURE_RULES:-$root/infra/azure/rules.yaml}" "$work/package/rules.yaml"

zip_path="$out/autocapture-functions.zip"
rm -f "$zip_path"
(cd "$work/package" && zip -q -r -X "$zip_path" .)
echo "$zip_path"
