# The webhook app (functions/AutoCapture.Functions) as a standalone ASP.NET Core app: the same build that runs as an
# Azure Functions isolated worker, started without the Functions host (FunctionsHost/README.md).
# Build from the repository root:
#   docker build -f infra/docker/webhook.Dockerfile -t autocapture-webhook:0.1.0 .
# Run (the rules file and the secrets come from a mount and the environment; docs/kubernetes.md):
#   docker run -p 8080:8080 -v "$PWD/rules.yaml:/etc/autocapture/rules.yaml:ro" \
#     -e AutoCapture__Collector__SigningKey=… -e AutoCapture__Links__SigningKey=… autocapture-webhook:0.1.0

# The capture pages embed the speedscope flame graph viewer; the app's build copies it from functions/viewer/node_modules.
FROM node:20-bookworm-slim AS viewer
WORKDIR /src/functions/viewer
COPY functions/viewer/package.json functions/viewer/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props host.json ./
COPY core/ core/
COPY functions/ functions/
COPY --from=viewer /src/functions/viewer/node_modules functions/viewer/node_modules
# tests/AutoCapture.IntegrationTests/Infra/ImageContentTests runs this same command and starts what it publishes.
RUN dotnet publish functions/AutoCapture.Functions/AutoCapture.Functions.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Settings are AutoCapture__… environment variables (`--help` lists them all). The folder store is for one replica
# only: several replicas share state through Azure Blob Storage (AutoCapture__Store__Kind=AzureBlob).
ENV ASPNETCORE_URLS=http://+:8080 \
    AutoCapture__RulesFile=/etc/autocapture/rules.yaml \
    AutoCapture__Store__Path=/var/lib/autocapture
EXPOSE 8080
# The folder store's default place, owned by the user the app runs as (mount a volume here to keep captures).
RUN mkdir -p /var/lib/autocapture && chown "$APP_UID" /var/lib/autocapture
# No HEALTHCHECK: the runtime image has no curl or wget, and Kubernetes ignores it. Probe GET /healthz on port 8080
# (the Deployment's readiness and liveness probes do).
USER $APP_UID
ENTRYPOINT ["dotnet", "autocapture-functions.dll"]
