using System.Text;
using AutoCapture.Core.Captures;

namespace AutoCapture.Functions.Chat;

/// <summary>The default channel: the message printed to the console, as a responder would read it in chat.</summary>
public sealed class ConsoleChatNotifier(TextWriter output, string name = "console") : IChatNotifier
{
    private static readonly SemaphoreSlim WriteLock = new(1, 1);

    public string Name => name;

    public async Task<ChatPost?> SendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var text = Render(message);
        await WriteLock.WaitAsync(cancellationToken);
        try
        {
            await output.WriteAsync(text);
            await output.FlushAsync(cancellationToken);
        }
        finally
        {
            WriteLock.Release();
        }

        return null;
    }

    public static string Render(ChatMessage message)
    {
        var builder = new StringBuilder();
        builder.AppendLine("┌─ chat ─────────────────────────────────────────────");
        if (message.Lead is { } lead)
        {
            builder.AppendLine($"│ {lead}");
        }

        builder.AppendLine($"│ {message.Title}");
        builder.AppendLine($"│ {message.Headline}");
        foreach (var (name, value) in message.Fields)
        {
            builder.AppendLine($"│ {name}: {value}");
        }

        foreach (var finding in message.Findings)
        {
            builder.AppendLine($"│ {finding}");
        }

        foreach (var link in message.Links)
        {
            builder.AppendLine($"│ {link.Text}: {link.Url}");
        }

        builder.AppendLine("└────────────────────────────────────────────────────");
        return builder.ToString();
    }
}
