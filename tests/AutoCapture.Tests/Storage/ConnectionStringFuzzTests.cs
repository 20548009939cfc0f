using AutoCapture.Core.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Storage;

/// <summary>Connection strings come from operators' settings: anything at all must parse or be explained, never crash or echo secrets.</summary>
public sealed class ConnectionStringFuzzTests
{
    /// <summary>Validation never throws, and secrets in the input (key or SAS values) never come back in a message.</summary>
    private static bool ParsesOrExplains(string connectionString) =>
        new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = connectionString }.Validate().All(p => !p.Contains("Secret", StringComparison.Ordinal));

    [Fact]
    public void Arbitrary_text_parses_or_is_explained() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), s => ParsesOrExplains(s ?? ""))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));

    [Fact]
    public void Plausible_connection_strings_with_hostile_values_parse_or_are_explained()
    {
        var names = Gen.Elements("AccountName", "AccountKey", "BlobEndpoint", "SharedAccessSignature", "DefaultEndpointsProtocol", "EndpointSuffix", "UseDevelopmentStorage", "accountkey", "");
        var values = Gen.Elements("Secret==", "SecretKey", "http://127.0.0.1:1/a", "https://", "ftp://x", "true", "sv=1&sig=Secret", "a b", "::", "%zz", "x;y", "=", "", "Secret\u0000");
        var pairs = from name in names
                    from value in values
                    select $"{name}={value}";
        var strings = Gen.ListOf(pairs).Select(list => string.Join(';', list));

        Prop.ForAll(strings.ToArbitrary(), ParsesOrExplains).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Fact]
    public void Store_settings_validation_never_throws_for_any_connection_string() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), s =>
            {
                var problems = new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = "AccountKey=Secret;" + s }.Validate().ToList();
                return problems.All(p => !p.Contains("Secret", StringComparison.Ordinal));
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300));
}
