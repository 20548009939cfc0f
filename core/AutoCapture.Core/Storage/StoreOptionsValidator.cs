using Microsoft.Extensions.Options;

namespace AutoCapture.Core.Storage;

/// <summary>Start-up check of <c>AutoCapture:Store</c> for processes that bind it on its own (the collector).</summary>
public sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        var failures = options.Validate().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
