# The collector daemon (collector/AutoCapture.Collector): captures .NET and Go processes when the webhook app asks.
# Build from the repository root:
#   docker build -f infra/docker/collector.Dockerfile -t autocapture-collector:0.1.0 .
#
# What it needs to see the processes it captures (docs/kubernetes.md, infra/kubernetes/collector-daemonset.yaml):
#   * .NET targets publish their diagnostics socket in their own $TMPDIR (default /tmp). The collector must see that
#     folder: share /tmp between the targets and the collector (one node folder mounted as /tmp in both, or an
#     emptyDir in a pod with a sidecar collector), or mount the target's socket into the collector's /tmp.
#   * It finds targets by name and command line in /proc: in Kubernetes the DaemonSet runs with hostPID: true.
#   * The sockets are open to their owner only: run the collector with the targets' UID, or as root with
#     CAP_DAC_OVERRIDE. Dumps are written by the target's runtime into the collector's work directory, so that
#     folder must be in the shared /tmp (the default, /tmp/autocapture-collector) and writable by the target: the
#     same UID as the targets. Reading another user's /proc/<pid>/environ (where a Go target's gops agent keeps its
#     port files) needs CAP_SYS_PTRACE.
# The image itself runs as the unprivileged user the .NET images define ($APP_UID); the manifests choose the UID.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY core/ core/
COPY collector/ collector/
# tests/AutoCapture.IntegrationTests/Infra/ImageContentTests runs this same command and starts what it publishes.
RUN dotnet publish collector/AutoCapture.Collector/AutoCapture.Collector.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Settings are AutoCapture__Collector__… and AutoCapture__Store__… environment variables (`--help` lists them all).
# It listens on every interface of its own network namespace; the webhook app calls http://<node>:7080.
ENV ASPNETCORE_URLS=http://+:7080
EXPOSE 7080
# No HEALTHCHECK: the runtime image has no curl or wget, and Kubernetes ignores it. Probe GET /healthz on port 7080
# (the DaemonSet's readiness and liveness probes do).
USER $APP_UID
ENTRYPOINT ["dotnet", "autocapture-collector.dll"]
