using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Sources;

/// <summary>A webhook source: turns its payload into normalized alerts or says precisely what is wrong with it.</summary>
public interface IAlertSource
{
    /// <summary>The route segment: POST /api/alerts/{Name}.</summary>
    string Name { get; }

    /// <exception cref="AlertPayloadException">The payload is not what this source sends.</exception>
    IReadOnlyList<Alert> Parse(ReadOnlyMemory<byte> body);

    /// <summary>Where the start time of the alert at <paramref name="index"/> is in this source's payload, for error messages.</summary>
    string StartsAtPath(int index) => $"alerts[{index}].startsAt";
}

/// <summary>A payload that cannot be accepted; the message names the field and the problem.</summary>
public sealed class AlertPayloadException : Exception
{
    public AlertPayloadException(string message) : base(message) { }
    public AlertPayloadException(string message, Exception inner) : base(message, inner) { }
    public AlertPayloadException() { }
}
