using AutoCapture.Diffs;
using AutoCapture.Profiles.Histograms;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Diffs;

public sealed class ProfileComparerTests
{
    private static FunctionHistogram Histogram(params (string Name, long Flat, long Cum)[] functions) =>
        FunctionHistogram.Create("samples", "count", functions.Sum(f => f.Flat), functions.Select(f => new FunctionValue(f.Name, f.Flat, f.Cum)));

    [Fact]
    public void A_new_hot_function_is_the_top_increase_and_the_unchanged_work_it_displaces_a_decrease()
    {
        var baseline = Histogram(("main.steady", 300, 300), ("main.main", 0, 300));
        var incident = Histogram(("main.steady", 300, 300), ("main.hot", 300, 300), ("main.main", 0, 600));

        var diff = ProfileComparer.Compare(baseline, incident);

        var top = diff.Increased[0];
        Assert.Equal(("main.hot", 0.0, 50.0, 50.0, 0L, 300L), (top.Function, top.BaselineFlatPercent, top.FlatPercent, top.Delta, top.BaselineFlat, top.Flat));
        Assert.Single(diff.Increased);
        Assert.Equal(("main.steady", 100.0, 50.0, -50.0), (diff.Decreased[0].Function, diff.Decreased[0].BaselineFlatPercent, diff.Decreased[0].FlatPercent, diff.Decreased[0].Delta));
        // main.main kept its 100% cumulative share: not a mover.
        Assert.DoesNotContain(diff.Increased.Concat(diff.Decreased), d => d.Function == "main.main");
        Assert.Equal((600L, 300L, 3), (diff.Total, diff.BaselineTotal, diff.Functions));
    }

    [Fact]
    public void Shares_are_normalised_so_a_longer_or_busier_baseline_is_not_a_change()
    {
        var baseline = Histogram(("a", 1000, 1000), ("b", 3000, 3000));
        var incident = Histogram(("a", 10, 10), ("b", 30, 30));

        var diff = ProfileComparer.Compare(baseline, incident);

        Assert.Empty(diff.Increased);
        Assert.Empty(diff.Decreased);
    }

    [Fact]
    public void Share_changes_add_up_to_nothing_and_are_ranked_largest_first()
    {
        var functions = Gen.Choose(0, 1000).ArrayOf(8);
        Prop.ForAll(functions.ToArbitrary(), functions.ToArbitrary(), (before, after) =>
        {
            var baseline = Histogram([.. before.Select((v, i) => ($"f{i}", (long)v, (long)v))]);
            var incident = Histogram([.. after.Select((v, i) => ($"f{i}", (long)v, (long)v))]);
            var diff = ProfileComparer.Compare(baseline, incident, top: 100);
            var moved = diff.Increased.Concat(diff.Decreased).Sum(d => d.Delta);
            var bothSidesHaveSamples = before.Sum() > 0 && after.Sum() > 0;
            return (!bothSidesHaveSamples || Math.Abs(moved) < 0.1)
                && diff.Increased.Zip(diff.Increased.Skip(1)).All(p => p.First.Delta >= p.Second.Delta)
                && diff.Decreased.Zip(diff.Decreased.Skip(1)).All(p => p.First.Delta <= p.Second.Delta)
                && diff.Increased.All(d => d.Delta > 0) && diff.Decreased.All(d => d.Delta < 0);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }
}
