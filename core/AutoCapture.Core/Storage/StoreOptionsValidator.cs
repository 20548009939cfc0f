using Microsoft.Extensions.Options;

namespace AutoCapture.Core.Storage;

/// <summary>
/// Start-up check of <c>AutoCapture:Store</c> for processes that bind it on its own (the collector), which may
/// hold no blob credential at all and write only with the upload grants its capture requests carry.
/// </summary>
public sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        var failures = options.Validate(credentialOptional: true).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
