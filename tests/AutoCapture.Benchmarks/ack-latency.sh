#!/usr/bin/env bash
# Ack latency and throughput of the webhook for a 100-alert Alertmanager payload at 16 connections, side by side
# with a bare ASP.NET endpoint that only parses the payload (the floor), in the same run; fresh deliveries also with the
# store on Azurite (tests/tools, installed by tests/setup). Needs wrk (apt-get install wrk).
# Usage: tests/AutoCapture.Benchmarks/ack-latency.sh [duration-seconds=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration="${1:-20}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet build tests/AutoCapture.Benchmarks -c Release -v quiet -clp:ErrorsOnly >/dev/null
bench=tests/AutoCapture.Benchmarks/bin/Release/net10.0/autocapture-benchmarks
"$bench" alert-payload 100 > "$work/payload.json"
echo "payload: $(wc -c < "$work/payload.json") bytes, 100 alerts"

# repeats: the same payload every time, as Alertmanager re-sends a firing group (dedup answers "duplicate").
cat > "$work/repeat.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer benchmark-token-0123456789"
local f = io.open("$work/payload.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
# fresh: every request carries 100 alert instances never seen before (new fingerprints), so dedup and the cooldown
# write to the store for each alert.
cat > "$work/fresh.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer benchmark-token-0123456789"
local f = io.open("$work/payload.json", "rb"); local template = f:read("*a"); f:close()
local n = 0
request = function()
  n = n + 1
  local body = template:gsub('"fingerprint":"', '"fingerprint":"' .. string.format("%x%x-", n, math.random(1, 1000000000)))
  return wrk.format(nil, nil, nil, body)
end
LUA

run() { # run <name> <mode> <lua>
  local port=$((20000 + RANDOM % 20000))
  "$bench" ack-server "$2" "$port" "$work/$1" >/dev/null &
  local pid=$!
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  # Warm up (JIT, first manifests), then measure.
  wrk -t2 -c16 -d3s -s "$3" "http://127.0.0.1:$port/api/alerts/alertmanager" >/dev/null
  echo "== $1"
  wrk -t2 -c16 -d"${duration}s" --latency -s "$3" "http://127.0.0.1:$port/api/alerts/alertmanager" | grep -E "Latency|50%|90%|99%|Requests/sec|Non-2xx"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run bare bare "$work/repeat.lua"
run autocapture-repeats autocapture "$work/repeat.lua"
run autocapture-fresh autocapture "$work/fresh.lua"
run autocapture-fresh-azurite autocapture-azurite "$work/fresh.lua"
