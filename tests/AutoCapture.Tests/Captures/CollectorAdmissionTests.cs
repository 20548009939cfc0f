using AutoCapture.Collector.Options;
using AutoCapture.Collector.Runs;
using AutoCapture.Core.Captures;

namespace AutoCapture.Tests.Captures;

/// <summary>The heap-or-dump guard protects one .NET process from concurrent heap walks, not the whole host.</summary>
public sealed class CollectorAdmissionTests
{
    private readonly CollectorAdmission admission = new(Microsoft.Extensions.Options.Options.Create(new CollectorOptions()));

    private static CaptureRequest Request(string id, ProcessSelector process, string kind) =>
        new($"20261205-{id.PadLeft(16, '0')}", process, [new CaptureSpec(kind)], null);

    [Fact]
    public void A_heap_or_dump_waits_only_for_one_of_the_same_dotnet_process()
    {
        Assert.Null(admission.TryAdmit(Request("1", new ProcessSelector(Pid: 101), CaptureKinds.Heap)));

        var sameProcess = admission.TryAdmit(Request("2", new ProcessSelector(Pid: 101), CaptureKinds.Dump));
        var otherProcess = admission.TryAdmit(Request("3", new ProcessSelector(Pid: 102), CaptureKinds.Heap));

        Assert.Equal("a heap capture (20261205-0000000000000001) is already running on pid=101", sameProcess);
        Assert.Null(otherProcess);
        admission.Release("20261205-0000000000000001");
        Assert.Null(admission.TryAdmit(Request("4", new ProcessSelector(Pid: 101), CaptureKinds.Dump)));
    }

    [Fact]
    public void A_go_heap_profile_is_never_held_back_by_the_heap_guard()
    {
        var address = new ProcessSelector(Runtimes.Go, Address: "http://127.0.0.1:15061");
        Assert.Null(admission.TryAdmit(Request("1", address, CaptureKinds.Heap)));

        Assert.Null(admission.TryAdmit(Request("2", address, CaptureKinds.Heap)));
        Assert.Null(admission.TryAdmit(Request("3", new ProcessSelector(Pid: 101), CaptureKinds.Heap)));
    }
}
