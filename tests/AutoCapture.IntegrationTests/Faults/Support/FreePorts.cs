using System.Net;
using System.Net.Sockets;

namespace AutoCapture.IntegrationTests.Faults.Support;

/// <summary>
/// Loopback ports for processes that must come back on the same address after a restart. They are picked below
/// the kernel's ephemeral range (32768 and up on Linux), so an outgoing connection cannot take one meanwhile.
/// </summary>
public static class FreePorts
{
    private const int First = 20_000;
    private const int End = 32_000;
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        lock (Handed)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Random.Shared.Next(First, End);
                if (!Handed.Contains(port) && IsFree(port))
                {
                    Handed.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free loopback port between {First} and {End} after 200 tries");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
