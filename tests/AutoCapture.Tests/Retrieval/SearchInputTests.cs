using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Options;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Retrieval;

/// <summary>Cursors and chat channel settings come from outside: anything malformed is refused with a message, never a crash or a leak.</summary>
public sealed class SearchInputTests
{
    [Fact]
    public void A_cursor_is_either_one_a_listing_handed_out_or_refused_with_a_format_exception()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            try
            {
                SearchCursor.Parse(text ?? string.Empty);
                return true;
            }
            catch (FormatException e)
            {
                return e.Message == "the cursor is not one a listing handed out";
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));

        var cursor = new SearchCursor(new DateOnly(2026, 11, 21), new DateTimeOffset(2026, 11, 21, 14, 5, 0, TimeSpan.Zero), "20261121-0123456789abcdef");
        Assert.Equal(cursor, SearchCursor.Parse(cursor.Format()));
        Assert.Equal(SearchCursor.StartOf(new DateOnly(2026, 1, 2)), SearchCursor.Parse(SearchCursor.StartOf(new DateOnly(2026, 1, 2)).Format()));
    }

    [Fact]
    public void Normalised_tag_values_are_always_valid_blob_index_tag_values()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            var value = CaptureTags.Normalize(text ?? string.Empty);
            StoreAnnotations.EnsureValidTags(new Dictionary<string, string> { ["alert"] = value });
            return value.Length <= StoreAnnotations.MaxTagValueLength && !value.Any(char.IsUpper);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Chat_channel_settings_are_checked_and_the_messages_name_the_setting_not_the_secret()
    {
        var chat = new ChatOptions
        {
            Default = "pager",
            Channels =
            {
                ["oncall"] = new ChatChannelOptions { Type = "slack-bot", Channel = "C1" },
                ["team"] = new ChatChannelOptions { Type = "teams", Url = "not a url with SECRET-SIG" },
                ["odd"] = new ChatChannelOptions { Type = "carrier-pigeon", Url = "https://example.com/SECRET-PATH" },
                ["ok"] = new ChatChannelOptions { Type = "webhook", Url = "https://example.com/hook", Secret = "SECRET-HMAC" },
                ["console"] = new ChatChannelOptions { Type = "webhook", Url = "https://example.com/hook" },
            },
        };

        var failures = ChatChannelsValidation.Check(chat).ToList();

        Assert.Contains("AutoCapture:Chat:Channels:oncall: a slack-bot channel needs Token (xoxb-…) and Channel (the channel id).", failures);
        Assert.Contains("AutoCapture:Chat:Channels:team:Url must be an absolute http(s) URL for a teams channel.", failures);
        Assert.Contains("AutoCapture:Chat:Channels:odd:Type 'carrier-pigeon' is not a channel type (console, slack-webhook, slack-bot, teams, webhook).", failures);
        Assert.Contains("AutoCapture:Chat:Channels:console: the name 'console' is taken by a built-in channel.", failures);
        Assert.Contains(failures, f => f.StartsWith("AutoCapture:Chat:Default 'pager' is not a configured channel", StringComparison.Ordinal));
        Assert.Equal(5, failures.Count);
        Assert.DoesNotContain(failures, f => f.Contains("SECRET", StringComparison.Ordinal));
        Assert.DoesNotContain("SECRET", chat.Describe(), StringComparison.Ordinal);
    }
}
