using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Alertmanager re-sends a firing group unchanged every <c>repeat_interval</c>, and an HA pair sends each delivery
/// twice: most deliveries are byte for byte one answered before. Once a body's every capture was answered from this
/// instance's memory — a duplicate, or a skip remembered until the limit that refused it frees — the same body from the
/// same source gets that answer again without being parsed, routed or admitted, until the first remembered skip ends.
/// Only for a while (<see cref="Lifetime"/>) and under the same rules, since retention may delete captures and rules
/// decide what matches; the memory is bounded by the alerts it holds.
/// </summary>
public sealed class RepeatAnswers(CurrentRules rules, TimeProvider clock, ILogger<RepeatAnswers> logger)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    /// <summary>About 500 bytes each (an alert's part of the answer's JSON): 100,000 alert answers stay near 50 MB.</summary>
    public const int MaxAlerts = 100_000;

    private readonly ConcurrentDictionary<(string Source, UInt128 Body), Remembered> _answers = new();
    private int _alerts;

    /// <param name="Summary">The decisions as the delivery's log line words them, worded once rather than on every repeat.</param>
    /// <param name="Json">The answer as sent: a repeat writes these bytes, since serializing the answer was most of its cost.</param>
    private sealed record Remembered(byte[] Json, int Alerts, IReadOnlyList<(CaptureDecision Decision, SkipCause? Cause, int Count)> Decisions, string Summary, RuleSet Rules, DateTimeOffset Until);

    /// <summary>Answers the delivery from memory when its body was answered before, all from memory.</summary>
    public bool TryAnswer(WebhookContext context, ReadOnlyMemory<byte> body)
    {
        context.BodyHash = Hash(body.Span);
        if (!_answers.TryGetValue((context.Source, context.BodyHash), out var remembered)
            || remembered.Until <= clock.GetUtcNow()
            || !ReferenceEquals(remembered.Rules, rules.Value))
        {
            return false;
        }

        context.AnswerJson = remembered.Json;
        foreach (var (decision, cause, count) in remembered.Decisions)
        {
            WebhookMetrics.Decided(decision, cause, count);
        }

        logger.LogInformation(
            "Delivery from {Source}: {Alerts} alerts, {Planned} captures planned: {Decisions}, as when this body was delivered before",
            context.Source,
            remembered.Alerts,
            remembered.Decisions.Sum(d => d.Count),
            remembered.Summary);
        return true;
    }

    /// <summary>Remembers a delivery's answer if a repeat of it would get the same one.</summary>
    public void Remember(WebhookContext context)
    {
        var repeatable = context.AnswerJson is null
            && context.BodyHash != default
            && context.Rules is not null
            && !context.MatchBudgetSpent
            && context.Captures.All(c => c.RememberedUntil is not null);
        if (!repeatable || !Reserve(context.Alerts.Count))
        {
            return;
        }

        var now = clock.GetUtcNow();
        var until = context.Alerts.Select(a => a.StartsAt + ParseStage.MaxAlertAge)
            .Concat(context.Captures.Select(c => c.RememberedUntil!.Value))
            .Append(now + Lifetime)
            .Min();
        var decisions = context.Captures.GroupBy(c => (c.Decision, c.SkippedBy)).Select(g => (g.Key.Decision, g.Key.SkippedBy, g.Count())).ToList();
        context.AnswerJson = JsonSerializer.SerializeToUtf8Bytes(WebhookAnswer.From(context), WebhookAnswerJson.Default.WebhookAnswer);
        var summary = string.Join(", ", decisions.Select(d => $"{d.Item3} {(d.SkippedBy is { } cause ? $"skipped by {cause.ToString().ToLowerInvariant()}" : d.Decision.ToString().ToLowerInvariant())}").DefaultIfEmpty("none"));
        if (!_answers.TryAdd((context.Source, context.BodyHash), new Remembered(context.AnswerJson, context.Alerts.Count, decisions, summary, context.Rules!, until)))
        {
            Interlocked.Add(ref _alerts, -context.Alerts.Count);
        }
    }

    /// <summary>Counts the alerts in, dropping expired answers when full; false (nothing counted) when there is no room.</summary>
    private bool Reserve(int alerts)
    {
        if (Interlocked.Add(ref _alerts, alerts) <= MaxAlerts)
        {
            return true;
        }

        var now = clock.GetUtcNow();
        foreach (var (key, remembered) in _answers)
        {
            if ((remembered.Until <= now || !ReferenceEquals(remembered.Rules, rules.Value)) && _answers.TryRemove(key, out _))
            {
                Interlocked.Add(ref _alerts, -remembered.Alerts);
            }
        }

        if (Volatile.Read(ref _alerts) <= MaxAlerts)
        {
            return true;
        }

        Interlocked.Add(ref _alerts, -alerts);
        return false;
    }

    private static UInt128 Hash(ReadOnlySpan<byte> body)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(body, digest);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }
}
