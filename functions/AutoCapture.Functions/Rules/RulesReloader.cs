using System.Security.Cryptography;
using System.Text;
using Azure;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Rules;

/// <summary>
/// Checks the rules blob's ETag every <see cref="RulesSourceOptions.PollInterval"/> and swaps in a new version that
/// loads and fits the settings. A version that does not keeps the rules in force: its problems are logged with
/// their lines, and chat hears of it once — one instance claims the notice in the store, so a scaled-out app posts
/// one message, not one per instance.
/// </summary>
public sealed class RulesReloader(
    CurrentRules current,
    RulesBlob blob,
    IArtifactStore store,
    ChatChannels channels,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<RulesReloader> logger) : IHostedService, IAsyncDisposable
{
    public const string NoticePrefix = "state/rules/rejected/";
    private const int MaxProblemsInChat = 10;
    private readonly SemaphoreSlim _one = new(1, 1);
    private ETag _seen;
    private ITimer? _timer;

    /// <summary>The check the timer started last; stopping waits for it.</summary>
    internal Task LastCheck { get; private set; } = Task.CompletedTask;

    /// <summary>The version loaded at start, so the first check does not load it again.</summary>
    public void Loaded(ETag etag) => _seen = etag;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.Rules.PollInterval;
        _timer = clock.CreateTimer(_ => LastCheck = CheckAsync(CancellationToken.None), null, interval, interval);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }

        await LastCheck.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }

        _one.Dispose();
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        // A slow store must not stack checks up behind each other; the next tick looks again.
        if (!await _one.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            return;
        }

        try
        {
            if (await blob.ETagAsync(cancellationToken) == _seen)
            {
                return;
            }

            var (text, etag) = await blob.ReadAsync(cancellationToken);
            _seen = etag;
            RuleSet rules;
            try
            {
                rules = RulesLoader.Parse(blob.Name, text, [.. options.Value.Chat.AllChannels().Keys]);
            }
            catch (RulesFileException e)
            {
                await RejectAsync(e.Message, cancellationToken);
                return;
            }

            if (RulesValidator.Problems(rules, options.Value) is { Count: > 0 } problems)
            {
                await RejectAsync(string.Join(Environment.NewLine, problems), cancellationToken);
                return;
            }

            current.Replace(rules);
            logger.LogInformation("Rules reloaded from {RulesFile}: {RuleCount} rules", blob.Name, rules.Rules.Count);
        }
        catch (Exception e) when (RulesBlob.IsUnreadable(e))
        {
            // Unreadable is not invalid: keep the rules, say why, and look again on the next tick.
            logger.LogWarning("Rules blob {RulesFile} could not be checked ({Reason}); the {RuleCount} rules in force stay", blob.Name, RulesBlob.Reason(e), current.Value.Rules.Count);
        }
        catch (StoreException e)
        {
            logger.LogWarning("The notice about the invalid rules in {RulesFile} was not claimed in the store ({Reason}); it is not posted", blob.Name, e.Message);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>A chat message stays readable: the first problems and a count, the whole list is in the log.</summary>
    private static string[] Shortened(string[] problems) =>
        problems.Length <= MaxProblemsInChat ? problems : [.. problems.Take(MaxProblemsInChat), $"… and {problems.Length - MaxProblemsInChat} more (all of them are in the log)"];

    private async Task RejectAsync(string problems, CancellationToken cancellationToken)
    {
        logger.LogError("Rules from {RulesFile} not loaded; the {RuleCount} rules in force stay:{NewLine}{Problems}", blob.Name, current.Value.Rules.Count, Environment.NewLine, problems);
        var version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{blob.Name}\n{_seen}")), 0, 16);
        using var marker = new MemoryStream(Encoding.UTF8.GetBytes(problems));
        if (!(await store.WriteAsync($"{NoticePrefix}{version}.txt", marker, WriteCondition.IfAbsent, cancellationToken)).Written)
        {
            return;
        }

        var chat = options.Value.Chat;
        var notifier = channels.Find(chat.Default) ?? channels.Console;
        var message = new ChatMessage(
            CaptureId: string.Empty,
            Title: "AutoCapture rules not reloaded",
            Headline: $"The new rules file is invalid; the {current.Value.Rules.Count} rules in force stay until it is fixed.",
            Fields: [("File", blob.Name)],
            Findings: Shortened(problems.Split(Environment.NewLine)),
            Links: []);
        try
        {
            await notifier.SendAsync(message, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The notice about the invalid rules could not be posted to {Channel}: {Reason}", notifier.Name, e.Message);
        }
    }
}
