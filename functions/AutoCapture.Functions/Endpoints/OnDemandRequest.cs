using System.Globalization;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;
using AutoCapture.Functions.Sources;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// The body of <c>POST /api/captures</c>:
/// <c>{ "collector": "http://10.0.0.5:7080", "process": { "runtime": "dotnet", "name": "checkout" }, "kinds": ["cpu:30s", "stacks"], "reason": "…" }</c>.
/// The process selector and the kinds take exactly what a rule's target and captures take, within the same bounds.
/// </summary>
public sealed record OnDemandRequest(CaptureTarget Target, IReadOnlyList<CaptureSpec> Specs, string? Reason)
{
    public const int MaxBodyBytes = 16 * 1024;
    public const int MaxReasonLength = 500;
    private static readonly string[] Keys = ["collector", "process", "kinds", "reason"];

    /// <exception cref="AlertPayloadException">A field is missing or malformed; the message names its JSON path.</exception>
    public static OnDemandRequest Parse(ReadOnlyMemory<byte> body)
    {
        using var document = JsonFields.ParseDocument(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"body must be a JSON object, not {JsonFields.Describe(root)}");
        }

        CheckKeys(root, string.Empty, Keys);
        var collectorText = JsonFields.RequiredString(root, "collector", string.Empty);
        if (!CollectorAddress.TryParse(collectorText, out var collector, out var error))
        {
            throw new AlertPayloadException(error);
        }

        var process = ParseProcess(JsonFields.RequiredObject(root, "process", string.Empty));
        var specs = ParseKinds(root, process);
        var reason = JsonFields.OptionalString(root, "reason", string.Empty);
        if (reason is { Length: > MaxReasonLength } || reason?.Any(char.IsControl) == true)
        {
            throw new AlertPayloadException($"reason must be one line of at most {MaxReasonLength} characters");
        }

        return new OnDemandRequest(new CaptureTarget(collector.Address, collector.Host, process), specs, string.IsNullOrWhiteSpace(reason) ? null : reason);
    }

    private static ProcessSelector ParseProcess(JsonElement process)
    {
        CheckKeys(process, "process.", RulesLoader.ProcessKeys);
        var runtime = JsonFields.OptionalString(process, "runtime", "process.") ?? Runtimes.Dotnet;
        if (!Runtimes.All.Contains(runtime))
        {
            throw new AlertPayloadException($"process.runtime: unknown runtime '{JsonFields.Shorten(runtime)}' (known: {string.Join(", ", Runtimes.All)})");
        }

        var given = RulesLoader.ProcessKeys.Where(k => k != "runtime" && process.TryGetProperty(k, out var v) && v.ValueKind != JsonValueKind.Null).ToList();
        if (given.Count != 1)
        {
            throw new AlertPayloadException($"process must set exactly one of pid, name, commandLine or address (found {given.Count})");
        }

        switch (given[0])
        {
            case "pid":
                var pid = process.GetProperty("pid");
                return pid.ValueKind == JsonValueKind.Number && pid.TryGetInt32(out var number) && number > 0
                    ? new ProcessSelector(runtime, Pid: number)
                    : throw new AlertPayloadException("process.pid must be a positive whole number");
            case "address":
                if (runtime != Runtimes.Go)
                {
                    throw new AlertPayloadException($"process.address is for runtime go (a net/http/pprof server); {runtime} processes are found by pid, name or commandLine");
                }

                return TargetAddress.TryNormalize(JsonFields.RequiredString(process, "address", "process."), out var address, out var addressError)
                    ? new ProcessSelector(runtime, Address: TargetAddress.Format(address))
                    : throw new AlertPayloadException($"process.{addressError}");
            case "name":
                return new ProcessSelector(runtime, Name: NonEmpty(process, "name"));
            default:
                return new ProcessSelector(runtime, CommandLine: NonEmpty(process, "commandLine"));
        }
    }

    private static string NonEmpty(JsonElement process, string key)
    {
        var text = JsonFields.RequiredString(process, key, "process.");
        return text.Length > 0 && text.Length <= 1024 && !text.Any(char.IsControl)
            ? text
            : throw new AlertPayloadException($"process.{key} must be 1 to 1024 characters on one line");
    }

    /// <summary><c>["cpu:30s", "stacks"]</c>: a kind, and for timed kinds an optional duration as rules write it.</summary>
    private static List<CaptureSpec> ParseKinds(JsonElement root, ProcessSelector process)
    {
        if (!root.TryGetProperty("kinds", out var kinds) || kinds.ValueKind != JsonValueKind.Array || kinds.GetArrayLength() == 0)
        {
            throw new AlertPayloadException("kinds must be a non-empty array such as [\"cpu:30s\", \"stacks\"]");
        }

        var specs = new List<CaptureSpec>();
        var index = 0;
        foreach (var item in kinds.EnumerateArray())
        {
            var at = $"kinds[{index++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new AlertPayloadException($"{at} must be a string such as \"cpu:30s\", not {JsonFields.Describe(item)}");
            }

            var text = JsonFields.Text(item, at, string.Empty, null);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var kind = colon < 0 ? text : text[..colon];
            if (!CaptureKinds.IsKnown(kind))
            {
                throw new AlertPayloadException($"{at}: unknown capture kind '{JsonFields.Shorten(kind)}' (known: {string.Join(", ", CaptureKinds.All)})");
            }

            if (Runtimes.Unsupported(process.Runtime, process.Address is not null, kind) is { } unsupported)
            {
                throw new AlertPayloadException($"{at}: {unsupported}");
            }

            if (specs.Any(s => s.Kind == kind))
            {
                throw new AlertPayloadException($"{at}: kind '{kind}' is listed twice");
            }

            specs.Add(new CaptureSpec(kind, colon < 0 ? DefaultSeconds(kind) : Seconds(at, kind, text[(colon + 1)..])));
        }

        return specs;
    }

    private static int? DefaultSeconds(string kind) =>
        CaptureKinds.IsTimed(kind) ? (int)CaptureKinds.DefaultDuration(kind).TotalSeconds : null;

    private static int Seconds(string at, string kind, string text)
    {
        if (!CaptureKinds.IsTimed(kind))
        {
            throw new AlertPayloadException($"{at}: kind '{kind}' is a snapshot and takes no duration");
        }

        if (!Durations.TryParse(text, out var duration) || duration < TimeSpan.FromSeconds(1) || duration > TimeSpan.FromSeconds(RulesLoader.MaxDurationSeconds))
        {
            throw new AlertPayloadException($"{at}: duration '{JsonFields.Shorten(text)}' must be from 1 s to {Durations.Format(TimeSpan.FromSeconds(RulesLoader.MaxDurationSeconds))} (as rules write it: 30s, 2m)");
        }

        return (int)duration.TotalSeconds;
    }

    private static void CheckKeys(JsonElement value, string path, string[] known)
    {
        foreach (var property in value.EnumerateObject())
        {
            var name = JsonFields.NameOf(property, path, string.Empty);
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                throw new AlertPayloadException($"{path}{JsonFields.Shorten(name)}: unknown field (known: {string.Join(", ", known)})");
            }
        }
    }
}
