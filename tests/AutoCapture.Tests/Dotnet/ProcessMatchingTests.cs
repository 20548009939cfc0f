using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Processes;
using AutoCapture.Core.Captures;

namespace AutoCapture.Tests.Dotnet;

public sealed class ProcessMatchingTests
{
    private static readonly ResolvedProcess[] Candidates =
    [
        new(30, "checkout", "/srv/checkout/checkout --port 8080"),
        new(10, "dotnet", "dotnet /srv/orders/Orders.dll --port 8081"),
        new(20, "dotnet", "dotnet /srv/billing/Billing.dll --port 8082"),
        new(40, "ghost", null),
    ];

    [Theory]
    [InlineData(20, null, null)]
    [InlineData(null, "checkout", null)]
    [InlineData(null, null, "Orders.dll")]
    public void Selects_the_single_match_by_pid_exact_name_or_command_line_substring(int? pid, string? name, string? commandLine)
    {
        var chosen = ProcessMatching.SelectOne(new ProcessSelector(Pid: pid, Name: name, CommandLine: commandLine), Candidates);

        Assert.Equal(pid ?? (name is not null ? 30 : 10), chosen.Pid);
    }

    [Theory]
    [InlineData(null, "Checkout", null, "name=Checkout")]
    [InlineData(null, "check", null, "name=check")]
    [InlineData(null, null, "orders.dll", "commandLine~orders.dll")]
    [InlineData(99, null, null, "pid=99")]
    public void Says_when_nothing_matched(int? pid, string? name, string? commandLine, string described)
    {
        var failure = Assert.Throws<CaptureFailedException>(() =>
            ProcessMatching.SelectOne(new ProcessSelector(Pid: pid, Name: name, CommandLine: commandLine), Candidates));

        Assert.Equal($"process not found: no .NET process matched {described}", failure.Message);
    }

    [Fact]
    public void Says_when_several_matched_with_their_pids_in_order()
    {
        var failure = Assert.Throws<CaptureFailedException>(() =>
            ProcessMatching.SelectOne(new ProcessSelector(CommandLine: "--port 808"), Candidates));

        Assert.Equal("ambiguous: 3 .NET processes matched commandLine~--port 808 (pids 10, 20, 30)", failure.Message);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData(1, "checkout", null)]
    [InlineData(null, "checkout", "checkout")]
    [InlineData(0, null, null)]
    [InlineData(-5, null, null)]
    [InlineData(null, "", null)]
    [InlineData(null, null, "")]
    public void Refuses_selectors_that_do_not_name_exactly_one_criterion(int? pid, string? name, string? commandLine)
    {
        var failure = Assert.Throws<CaptureFailedException>(() =>
            ProcessMatching.Validate(new ProcessSelector(Pid: pid, Name: name, CommandLine: commandLine)));

        Assert.StartsWith("invalid process selector", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_other_runtimes()
    {
        var failure = Assert.Throws<CaptureFailedException>(() => ProcessMatching.Validate(new ProcessSelector("go", Pid: 1)));

        Assert.Equal("cannot find go processes: only dotnet is supported here", failure.Message);
    }

    [Theory]
    [InlineData("autocapture-tes", "/opt/app/autocapture-testtarget", "autocapture-testtarget")]
    [InlineData("autocapture-tes", "autocapture-testtarget", "autocapture-testtarget")]
    [InlineData("dotnet", "/usr/bin/dotnet", "dotnet")]
    [InlineData("checkout", "/srv/checkout-v2", "checkout")]
    [InlineData("abcdefghijklmno", "/bin/other", "abcdefghijklmno")]
    [InlineData("abcdefghijklmno", null, "abcdefghijklmno")]
    public void Restores_a_name_the_kernel_truncated_from_argv0(string comm, string? argv0, string expected) =>
        Assert.Equal(expected, ProcessMatching.NameFrom(comm, argv0));
}
