using System.Net;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>Turns a refusal from the blob service into a message a person can act on, without secrets or request URLs.</summary>
internal static class BlobErrors
{
    public static string? Code(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null;

    public static StoreException From(HttpResponseMessage response, string operation, string target, string authorizationKind)
    {
        var code = Code(response);
        var status = (int)response.StatusCode;
        var hint = (response.StatusCode, code) switch
        {
            // Azure says AuthenticationFailed for a bad signature; Azurite (and Azure's network rules) AuthorizationFailure.
            (HttpStatusCode.Forbidden, "AuthenticationFailed" or "AuthorizationFailure") =>
                $"the {authorizationKind} was refused: a wrong account key, a SAS that is malformed, expired or not yet valid, or a network rule",
            (HttpStatusCode.Forbidden, "AuthorizationPermissionMismatch" or "AuthorizationResourceTypeMismatch" or "AuthorizationSourceIPMismatch") =>
                $"the {authorizationKind} does not allow this operation (missing permission or role assignment)",
            (HttpStatusCode.Forbidden, _) => $"access denied to the {authorizationKind}",
            (HttpStatusCode.NotFound, "ContainerNotFound") => "the container does not exist and these credentials cannot create it",
            (HttpStatusCode.RequestEntityTooLarge, _) => "the request is too large for the service",
            _ when BlobRequests.IsTransient(response.StatusCode) => "the service kept failing after every retry",
            _ => "the service refused the request",
        };
        return new StoreException($"Azure Blob Storage: {operation} {target} failed with {status} {code ?? response.ReasonPhrase}: {hint}.");
    }
}
