using AutoCapture.Core.Captures;

namespace AutoCapture.Tests.Captures;

public class CaptureStateMachineTests
{
    private const CaptureStatus P = CaptureStatus.Pending;
    private const CaptureStatus D = CaptureStatus.Dispatched;
    private const CaptureStatus R = CaptureStatus.Running;
    private const CaptureStatus U = CaptureStatus.Uploading;
    private const CaptureStatus C = CaptureStatus.Complete;
    private const CaptureStatus F = CaptureStatus.Failed;
    private const CaptureStatus S = CaptureStatus.Skipped;

    public static TheoryData<CaptureStatus, CaptureStatus> Legal => new()
    {
        { P, D }, { P, R }, { P, U }, { P, S }, { P, C }, { P, F },
        { D, R }, { D, U }, { D, C }, { D, F },
        { R, U }, { R, C }, { R, F },
        { U, C }, { U, F },
    };

    [Theory]
    [MemberData(nameof(Legal))]
    public void Forward_moves_are_legal(CaptureStatus from, CaptureStatus to) => Assert.True(CaptureStateMachine.CanMove(from, to));

    [Fact]
    public void Every_other_move_is_illegal_backwards_out_of_a_terminal_state_or_to_itself()
    {
        var legal = Legal.Select(row => ((CaptureStatus)row[0], (CaptureStatus)row[1])).ToHashSet();
        foreach (var from in Enum.GetValues<CaptureStatus>())
        {
            foreach (var to in Enum.GetValues<CaptureStatus>())
            {
                Assert.Equal(legal.Contains((from, to)), CaptureStateMachine.CanMove(from, to));
            }
        }

        Assert.False(CaptureStateMachine.CanMove(C, F));
        Assert.False(CaptureStateMachine.CanMove(S, D));
        Assert.False(CaptureStateMachine.CanMove(U, R));
        Assert.False(CaptureStateMachine.CanMove(D, S));
    }
}
