#!/usr/bin/env bash
# Builds the Azure Functions deployment package for the webhook app, run as a custom handler:
#   host.json                         (repo root: customHandler, routePrefix api, logging, functionTimeout)
#   <Function>/function.json          (one folder per function, from functions/AutoCapture.Functions/FunctionsHost)
#   autocapture-functions             (the app, self-contained single file for linux-x64, with its run bit)
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
  -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:DebugType=none \
  --artifacts-path "$work/build" -o "$work/package" \
  --nologo -v quiet -clp:ErrorsOnly >&2

executable=autocapture-functions   # the project's AssemblyName
if ! grep -q "\"defaultExecutablePath\": *\"$executable\"" "$root/host.json" || [ ! -f "$work/package/$executable" ]; then
  echo "publish-functions: host.json's defaultExecutablePath and the published executable must both be $executable" >&2
  exit 1
fi
chmod 0755 "$work/package/$executable"
rm -f "$work/package/"*.staticwebassets.endpoints.json

cp "$root/host.json" "$work/package/host.json"
cp "${AUTOCAPTURE_RULES:-$root/infra/azure/rules.yaml}" "$work/package/rules.yaml"
for definition in "$root"/functions/AutoCapture.Functions/FunctionsHost/*/function.json; do
  name="$(basename "$(dirname "$definition")")"
  mkdir -p "$work/package/$name"
  cp "$definition" "$work/package/$name/function.json"
done

zip_path="$out/autocapture-functions.zip"
rm -f "$zip_path"
# zip keeps Unix permissions, so the executable still has its run bit where the host unpacks it.
(cd "$work/package" && zip -q -r -X "$zip_path" .)
echo "$zip_path"
