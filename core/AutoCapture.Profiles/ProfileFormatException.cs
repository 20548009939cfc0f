namespace AutoCapture.Profiles;

/// <summary>Input that is not the profile format it claims to be; the message says what is wrong, in words.</summary>
public sealed class ProfileFormatException : Exception
{
    public ProfileFormatException(string message) : base(message) { }
    public ProfileFormatException(string message, Exception inner) : base(message, inner) { }
    public ProfileFormatException() { }
}
