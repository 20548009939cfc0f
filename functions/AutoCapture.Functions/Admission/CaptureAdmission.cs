using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Limits;

namespace AutoCapture.Functions.Admission;

/// <summary>
/// The one place captures are let in — for alerts, scheduled and peer baselines alike. For a whole batch at once it
/// reads each limit document the batch touches, decides every capture in memory (dedup, then the limits in order),
/// reserves and commits with one compare-and-swap per document, and only then creates the manifests of the captures
/// it admitted. So no manifest exists that the limits did not admit, whatever happens to the request: a crash or
/// cancellation leaves at most committed limit entries with no capture behind them, never a capture beyond them.
/// Store round trips grow with the captures started and the documents touched, not with the alerts received.
/// </summary>
public sealed class CaptureAdmission(
    StoreLimiter limiter,
    CaptureLimits limits,
    ManifestStore manifests,
    OpenCaptures open,
    KnownCaptures known,
    SkipNotices notices,
    ChatOutbox chat,
    TimeProvider clock,
    ILogger<CaptureAdmission> logger) : IDisposable
{
    private const int MaxRounds = 200;
    private const int ParallelWrites = 8;

    // Every admitting decision writes the one in-flight document, so concurrent decisions of this instance would only
    // race each other's compare-and-swaps and wait on each other's pending reservations. Their writes take turns, and
    // one that finds limits changed by this instance since it read them reads and decides again in its turn, so the
    // compare-and-swap is left to settle races between instances. Decisions that write nothing never wait.
    private readonly SemaphoreSlim turn = new(1, 1);
    private long limitWrites;

    public void Dispose() => turn.Dispose();

    /// <summary>Decides every proceeding capture; afterwards each is started (manifest written), a duplicate, or skipped with its cause.</summary>
    public async Task AdmitAsync(IReadOnlyList<PlannedCapture> captures, CancellationToken cancellationToken)
    {
        var undecided = new List<PlannedCapture>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        foreach (var capture in captures.Where(c => c.Decision == CaptureDecision.Proceeding))
        {
            // A repeat this instance has seen decided, or the same alert twice in one delivery: no store round trip.
            if (known.Contains(capture.CaptureId) || !ids.Add(capture.CaptureId))
            {
                capture.MarkDuplicate(rememberedUntil: DateTimeOffset.MaxValue);
            }
            else if (known.SkipOf(capture.CaptureId, now) is { } skip)
            {
                capture.Skip(skip.Cause, skip.Reason, skip.Until);
            }
            else
            {
                undecided.Add(capture);
            }
        }

        for (var round = 0; undecided.Count > 0 && round < MaxRounds; round++)
        {
            if (round > 0)
            {
                // Another decision holds pending reservations that decide ours; give it time to commit or release.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(2, 10 + Math.Min(round, 40) * 5)), clock, cancellationToken);
            }

            undecided = await DecideAsync(undecided, cancellationToken);
        }

        foreach (var capture in undecided)
        {
            capture.Skip(SkipCause.Undecided, "limits undecided: other captures held the same limits for too long; the alert's next repeat decides it");
        }
    }

    /// <summary>One round: returns the captures that must wait for other decisions' pending reservations.</summary>
    private async Task<List<PlannedCapture>> DecideAsync(List<PlannedCapture> captures, CancellationToken cancellationToken)
    {
        var decision = Guid.NewGuid().ToString("N");
        var checkedExist = new HashSet<string>(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        var writesSeen = Interlocked.Read(ref limitWrites);
        var (plan, touched) = await PlanAsync(captures, decision, checkedExist, now, cancellationToken);
        if (touched.Count > 0)
        {
            await turn.WaitAsync(cancellationToken);
            try
            {
                if (Interlocked.Read(ref limitWrites) != writesSeen)
                {
                    now = clock.GetUtcNow();
                    (plan, touched) = await PlanAsync(captures, decision, checkedExist, now, cancellationToken);
                }

                // From the first write on, the decision is carried through even when the app is stopping: a decision
                // left half-written would hold slots for captures that never start, or let a retry past them.
                var committed = touched.Count == 0 || await ReserveAndCommitAsync(touched, limits.InFlight().StoreKey, now);
                Interlocked.Increment(ref limitWrites);
                if (!committed)
                {
                    return [.. captures.Where(c => c.Decision == CaptureDecision.Proceeding)];
                }
            }
            finally
            {
                turn.Release();
            }
        }

        await Parallel.ForEachAsync(
            plan.Admitted,
            new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites },
            async (admitted, token) => await StartAsync(admitted, now, token));
        await RecordSkipsAsync(plan.Skipped, now, CancellationToken.None);
        return plan.Busy;
    }

    /// <summary>Reads the limit documents the captures touch and decides in memory; returns the documents the plan adds to.</summary>
    private async Task<(Plan Plan, List<LimitDocument> Touched)> PlanAsync(
        List<PlannedCapture> captures, string decision, HashSet<string> checkedExist, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var book = new Dictionary<string, LimitDocument>(StringComparer.Ordinal);
        await LoadAsync(book, captures.SelectMany(limits.SharedPolicies), now, cancellationToken);
        while (true)
        {
            var plan = Decide([.. captures.Where(c => c.Decision == CaptureDecision.Proceeding)], book, decision, now);
            // Cooldowns are read only for captures the shared limits would let in, so sampled-out alerts cost nothing.
            var unread = plan.Admitted.SelectMany(a => CooldownPolicies(a.Capture)).Where(p => !book.ContainsKey(p.StoreKey)).ToList();
            if (unread.Count > 0)
            {
                await LoadAsync(book, unread, now, cancellationToken);
                continue;
            }

            // Asked only once every limit has its say, so a capture its cooldown refuses costs no existence check.
            var unverified = plan.Admitted.Where(a => checkedExist.Add(a.Capture.CaptureId)).Select(a => a.Capture).ToList();
            if (unverified.Count == 0)
            {
                return (plan, [.. book.Values.Where(d => d.Added.Count > 0)]);
            }

            await MarkExistingAsync(unverified, cancellationToken);
        }
    }

    private async Task LoadAsync(Dictionary<string, LimitDocument> book, IEnumerable<LimitPolicy> policies, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var wanted = policies.Where(p => !book.ContainsKey(p.StoreKey)).DistinctBy(p => p.StoreKey).ToList();
        foreach (var document in await Task.WhenAll(wanted.Select(p => limiter.ReadAsync(p, now, cancellationToken))))
        {
            book[document.Policy.StoreKey] = document;
        }
    }

    /// <summary>A capture whose manifest exists was decided before (started, or skipped and recorded): a duplicate.</summary>
    private async Task MarkExistingAsync(IReadOnlyList<PlannedCapture> captures, CancellationToken cancellationToken) =>
        await Parallel.ForEachAsync(captures, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken }, async (capture, token) =>
        {
            await using var existing = await manifests.Store.OpenReadAsync(CaptureIds.ManifestKey(capture.CaptureId), token);
            if (existing is not null)
            {
                capture.MarkDuplicate();
                known.Add(capture.CaptureId);
            }
        });

    private sealed record AdmittedCapture(PlannedCapture Capture, IReadOnlyList<CaptureSpec> Allowed, IReadOnlyList<string> Notes);

    /// <param name="Until">When the earliest reservation that refused it expires: until then the answer stands.</param>
    /// <param name="Refusal">
    /// The refusing limit's words, shared by every capture that limit refused in one round, and worded only for the
    /// decision that stands: a delivery may be decided several times over. Null when only cooldowns refused it.
    /// </param>
    private sealed record SkippedCapture(PlannedCapture Capture, SkipCause Cause, Lazy<string>? Refusal, IReadOnlyList<string> Notes, DateTimeOffset Until)
    {
        public string Reason() => Refusal is null ? string.Join("; ", Notes) : Notes.Count == 0 ? Refusal.Value : string.Join("; ", Notes.Append(Refusal.Value));
    }

    private sealed record Plan(List<AdmittedCapture> Admitted, List<SkippedCapture> Skipped, List<PlannedCapture> Busy);

    private string CooldownKey(PlannedCapture capture, CaptureSpec spec) =>
        limits.Cooldown(capture.Target, spec.Kind, baseline: capture.Baseline is not null).StoreKey;

    /// <summary>The cooldowns a capture answers to: per kind its target's, and for a baseline also the baselines' own.</summary>
    private IEnumerable<LimitPolicy> CooldownPolicies(PlannedCapture capture)
    {
        foreach (var spec in capture.Specs)
        {
            yield return limits.Cooldown(capture.Target, spec.Kind, baseline: false);
            if (capture.Baseline is not null)
            {
                yield return limits.Cooldown(capture.Target, spec.Kind, baseline: true);
            }
        }
    }

    /// <summary>
    /// The capture's cooldown documents <paramref name="book"/> holds, into <paramref name="cooldowns"/> (cleared first):
    /// none, for a capture the shared limits have not let in yet.
    /// </summary>
    private void ReadCooldowns(PlannedCapture capture, Dictionary<string, LimitDocument> book, List<LimitDocument> cooldowns)
    {
        cooldowns.Clear();
        foreach (var policy in CooldownPolicies(capture))
        {
            if (book.GetValueOrDefault(policy.StoreKey) is { } document)
            {
                cooldowns.Add(document);
            }
        }
    }

    /// <summary>
    /// Decides in delivery order from what <paramref name="book"/> holds; a cooldown document not read yet counts as
    /// free (the caller reads it and decides again). Each admitted capture's reservations are added to the documents,
    /// so later captures of the batch see them as the store will. Most alerts of a storm are refused by a full storm or
    /// budget document, so that path allocates nothing per alert but its answer.
    /// </summary>
    private Plan Decide(IReadOnlyList<PlannedCapture> captures, Dictionary<string, LimitDocument> book, string decision, DateTimeOffset now)
    {
        foreach (var document in book.Values)
        {
            document.Reset();
        }

        var plan = new Plan([], [], []);
        // A full storm or budget document refuses the rest of the delivery with the same words: word them once.
        var refusals = new Dictionary<LimitDocument, Lazy<string>>();
        var cooldowns = new List<LimitDocument>();
        var reservations = new List<(LimitDocument Document, string Key, DateTimeOffset Until)>();
        var inFlight = book[limits.InFlight().StoreKey];
        foreach (var capture in captures)
        {
            var id = capture.CaptureId;
            var (storm, budget) = (book[limits.Storm(capture).StoreKey], book[limits.Budget(capture).StoreKey]);
            ReadCooldowns(capture, book, cooldowns);
            var (held, pending) = HeldBy(id, storm, budget, inFlight, cooldowns);
            if (pending)
            {
                // Another instance is deciding this very alert right now.
                plan.Busy.Add(capture);
                continue;
            }

            if (inFlight.EntryOf(id) is not null)
            {
                // Let in by a decision that may have died before writing the manifest: the limits already count it,
                // so it starts with the kinds its cooldowns hold — unless its manifest exists, which makes it a duplicate.
                var kept = capture.Specs.Where(spec => cooldowns.Any(d => d.EntryOf(id) is not null && d.Policy.StoreKey == CooldownKey(capture, spec))).ToList();
                plan.Admitted.Add(new AdmittedCapture(capture, kept.Count > 0 ? kept : capture.Specs, []));
                continue;
            }

            if (held)
            {
                // Let in, and since ended (its in-flight slot is free): decided for good.
                capture.MarkDuplicate();
                known.Add(id);
                continue;
            }

            List<string>? notes = null;
            var refusedUntil = DateTimeOffset.MaxValue;
            List<CaptureSpec>? allowed = null;
            reservations.Clear();
            var busy = false;
            for (var i = 0; i < capture.Specs.Count; i++)
            {
                var spec = capture.Specs[i];
                var incident = book.GetValueOrDefault(limits.Cooldown(capture.Target, spec.Kind, baseline: false).StoreKey);
                string? note = null;
                if (capture.Baseline is not null && incident?.Active.FirstOrDefault(e => e.Committed) is { } incidentHolder)
                {
                    note = CaptureLimits.IncidentRefusal(capture, spec.Kind, incidentHolder);
                    refusedUntil = Min(refusedUntil, incidentHolder.Until);
                }
                else
                {
                    // Baselines cool down on their own: a baseline must never keep an alert's capture from happening.
                    var cooldown = capture.Baseline is null ? incident : book.GetValueOrDefault(limits.Cooldown(capture.Target, spec.Kind, baseline: true).StoreKey);
                    var result = cooldown?.Check(id) ?? LimitCheck.Fits;
                    busy |= result.Outcome == LimitOutcome.Busy;
                    if (result.Outcome == LimitOutcome.Refused)
                    {
                        note = limits.CooldownRefusal(capture, spec.Kind, result.Holders[0]);
                        refusedUntil = Min(refusedUntil, result.Holders[0].Until);
                    }
                    else if (cooldown is not null)
                    {
                        reservations.Add((cooldown, id, limits.CooldownUntil(capture, now)));
                    }
                }

                if (note is not null)
                {
                    (notes ??= []).Add(note);
                    allowed ??= [.. capture.Specs.Take(i)];
                }
                else
                {
                    allowed?.Add(spec);
                }
            }

            if (busy)
            {
                plan.Busy.Add(capture);
                continue;
            }

            if (allowed is { Count: 0 })
            {
                plan.Skipped.Add(new SkippedCapture(capture, SkipCause.Cooldown, null, notes!, refusedUntil));
                continue;
            }

            var stormKey = CaptureLimits.TargetKey(capture.Target);
            var (outcome, cause, limit) = (storm.Check(stormKey), SkipCause.Storm, storm);
            if (outcome.Outcome == LimitOutcome.Fits)
            {
                (outcome, cause, limit) = (budget.Check(id), SkipCause.Budget, budget);
            }

            if (outcome.Outcome == LimitOutcome.Fits)
            {
                (outcome, cause, limit) = (inFlight.Check(id), SkipCause.InFlight, inFlight);
            }

            if (outcome.Outcome == LimitOutcome.Busy)
            {
                plan.Busy.Add(capture);
            }
            else if (outcome.Outcome == LimitOutcome.Refused)
            {
                if (!refusals.TryGetValue(limit, out var worded))
                {
                    var (refusing, check, refusedBy) = (capture, outcome, cause);
                    refusals[limit] = worded = new Lazy<string>(() => Refusal(refusedBy, refusing, check), LazyThreadSafetyMode.None);
                }

                // The in-flight cap frees a slot whenever any capture ends, so its refusal is not remembered.
                var standsUntil = cause == SkipCause.InFlight ? now : Min(refusedUntil, outcome.Holders.Min(h => h.Until));
                plan.Skipped.Add(new SkippedCapture(capture, cause, worded, (IReadOnlyList<string>?)notes ?? [], standsUntil));
            }
            else
            {
                reservations.Add((storm, stormKey, limits.StormUntil(now)));
                reservations.Add((budget, id, limits.BudgetUntil(capture, now)));
                reservations.Add((inFlight, id, CaptureLimits.InFlightUntil));
                foreach (var (document, key, until) in reservations)
                {
                    document.Add(new LimitEntry(id, key, now, until, Committed: false, decision));
                }

                plan.Admitted.Add(new AdmittedCapture(capture, (IReadOnlyList<CaptureSpec>?)allowed ?? capture.Specs, (IReadOnlyList<string>?)notes ?? []));
            }
        }

        return plan;
    }

    /// <summary>Whether the documents hold a reservation of the capture, and whether one of them is still pending.</summary>
    private static (bool Held, bool Pending) HeldBy(string captureId, LimitDocument storm, LimitDocument budget, LimitDocument inFlight, List<LimitDocument> cooldowns)
    {
        var (held, pending) = (false, false);
        Note(storm.EntryOf(captureId));
        Note(budget.EntryOf(captureId));
        Note(inFlight.EntryOf(captureId));
        foreach (var cooldown in cooldowns)
        {
            Note(cooldown.EntryOf(captureId));
        }

        return (held, pending);

        void Note(LimitEntry? entry)
        {
            held |= entry is not null;
            pending |= entry is { Committed: false };
        }
    }

    private string Refusal(SkipCause cause, PlannedCapture capture, LimitCheck check) => cause switch
    {
        SkipCause.Storm => limits.StormRefusal(capture, check.Holders),
        SkipCause.Budget => limits.BudgetRefusal(capture, check.Holders),
        _ => limits.InFlightRefusal(),
    };

    /// <summary>
    /// Reserves in every document, then commits every document but the in-flight one, and that one last: a committed
    /// in-flight entry therefore means the whole decision is committed, which is what lets a retry adopt a capture
    /// whose deciding instance died before writing its manifest. On any failure releases all and says so.
    /// </summary>
    private async Task<bool> ReserveAndCommitAsync(List<LimitDocument> documents, string commitPoint, DateTimeOffset now)
    {
        var reserved = await Task.WhenAll(documents.Select(d => limiter.ReserveAsync(d, CancellationToken.None)));
        if (reserved.All(r => r)
            && (await Task.WhenAll(documents.Where(d => d.Policy.StoreKey != commitPoint).Select(d => limiter.CommitAsync(d, CancellationToken.None)))).All(c => c)
            && (documents.Find(d => d.Policy.StoreKey == commitPoint) is not { } last || await limiter.CommitAsync(last, CancellationToken.None)))
        {
            return true;
        }

        logger.LogDebug("Limits changed while {Count} documents were being written; deciding again", documents.Count);
        await ReleaseAsync(documents, _ => true, now, CancellationToken.None);
        return false;
    }

    /// <summary>Gives back reservations this decision added (never another decision's of the same capture).</summary>
    private async Task ReleaseAsync(IReadOnlyList<LimitDocument> documents, Func<LimitEntry, bool> which, DateTimeOffset now, CancellationToken cancellationToken) =>
        await Task.WhenAll(documents
            .Select(d => (d.Policy, Mine: d.Added.Where(which).ToHashSet()))
            .Where(d => d.Mine.Count > 0)
            .Select(d => limiter.ReleaseAsync(d.Policy, e => d.Mine.Contains(e with { Committed = false }), now, cancellationToken)));

    private async Task StartAsync(AdmittedCapture admitted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var capture = admitted.Capture;
        capture.Specs.RemoveAll(spec => !admitted.Allowed.Contains(spec));
        capture.Notes.AddRange(admitted.Notes);
        var manifest = NewManifest(capture, CaptureStatus.Pending, now) with
        {
            Captures = [.. capture.Specs],
            Notes = [.. capture.Notes],
        };

        if (await OpenAndWriteAsync(capture, manifest, now, cancellationToken))
        {
            capture.MarkStarted();
        }
    }

    /// <summary>Opens the capture and writes its manifest if absent; false, a duplicate, when another instance wrote it first.</summary>
    private async Task<bool> OpenAndWriteAsync(PlannedCapture capture, CaptureManifest manifest, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Opened first: a crash between the two leaves an open mark without a manifest, which housekeeping clears.
        await open.OpenAsync(capture.CaptureId, now, cancellationToken);
        var written = await manifests.WriteAsync(manifest, WriteCondition.IfAbsent, cancellationToken);
        known.Add(capture.CaptureId);
        if (!written.Written)
        {
            // The decision that let it in, or one adopting it, wrote it first. Whichever won, the limit entries under
            // this capture id now count that capture, so they stay.
            capture.MarkDuplicate();
            return false;
        }

        capture.Manifest = manifest;
        capture.ManifestETag = written.ETag;
        return true;
    }

    /// <summary>
    /// A skip is answered and logged; it is written to the store only when chat hears of it (<see cref="SkipNotices"/>
    /// picks at most one per rule and cause per interval), as a skipped manifest the message links to. Writing every
    /// skip would cost a write per alert exactly when alerts storm in, and an alert skipped unrecorded is decided afresh
    /// on its next repeat: captured then if the limits allow.
    /// </summary>
    private async Task RecordSkipsAsync(IReadOnlyList<SkippedCapture> skipped, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var skip in skipped)
        {
            var reason = skip.Reason();
            skip.Capture.Notes.AddRange(skip.Notes);
            skip.Capture.Skip(skip.Cause, reason);
            known.RememberSkip(skip.Capture.CaptureId, skip.Cause, reason, skip.Until);
        }

        var told = await notices.PickAsync([.. skipped.Select(s => s.Capture)], cancellationToken);
        await Parallel.ForEachAsync(told, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken }, async (capture, token) =>
        {
            var manifest = NewManifest(capture, CaptureStatus.Skipped, now) with
            {
                SkipReason = capture.Reason,
                Captures = [],
                Notes = [.. capture.Notes],
                CompletedAt = now,
                Quiet = false,
                NotifyingSince = now,
            };
            if (await OpenAndWriteAsync(capture, manifest, now, token) && !chat.Enqueue(capture.CaptureId))
            {
                logger.LogWarning("Capture {CaptureId}: chat queue full; housekeeping will send the skip message", capture.CaptureId);
            }
        });
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static CaptureManifest NewManifest(PlannedCapture capture, CaptureStatus status, DateTimeOffset now) => new()
    {
        Id = capture.CaptureId,
        Status = status,
        Alert = capture.Alert,
        Rule = capture.Rule.Name,
        Target = capture.Target,
        Captures = [.. capture.Specs],
        Chat = capture.Rule.Chat,
        Baseline = capture.Baseline,
        // A baseline is reported inside its incident's message (as the diff), never on its own.
        Quiet = capture.Baseline is not null,
        CreatedAt = now,
        UpdatedAt = now,
    };
}
