using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Per-target cooldown (host + process + kind), kept in the store under <c>state/limits/cooldown/</c> and taken
/// with compare-and-swap, so two instances never both start a capture of the same kind on the same target.
/// </summary>
public sealed class CooldownLimiter(IArtifactStore store)
{
    public const string Prefix = "state/limits/cooldown/";

    public sealed record CooldownState(string CaptureId, DateTimeOffset Until);

    /// <summary>Takes the cooldown for this capture, or returns who holds it and until when.</summary>
    public async Task<CooldownState?> TryAcquireAsync(CaptureTarget target, string kind, string captureId, DateTimeOffset now, TimeSpan cooldown, CancellationToken cancellationToken)
    {
        CooldownState? holder = null;
        await store.UpdateAsync<CooldownState>(KeyOf(target, kind), current =>
        {
            // The same capture asking again (a retried delivery) keeps what it already holds.
            if (current is not null && current.Until > now && current.CaptureId != captureId)
            {
                holder = current;
                return null;
            }

            holder = null;
            return new CooldownState(captureId, now + cooldown);
        }, cancellationToken);
        return holder;
    }

    internal static string KeyOf(CaptureTarget target, string kind)
    {
        var identity = $"{target.Host}\n{target.Process.Runtime}\n{target.Process}\n{kind}";
        return $"{Prefix}{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)), 0, 16)}.json";
    }
}
