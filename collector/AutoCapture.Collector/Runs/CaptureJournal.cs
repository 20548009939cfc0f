using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// The captures this collector has started and not yet reported, one small file each under
/// <c>{WorkDirectory}/journal/</c>. A collector killed mid-capture finds them on its next start and reports them
/// as failed instead of leaving them running forever.
/// </summary>
public sealed class CaptureJournal(IOptions<CollectorOptions> options)
{
    public const string FolderName = "journal";

    private string Folder => Path.Combine(options.Value.WorkDirectory, FolderName);

    public void Record(CaptureRequest request)
    {
        Directory.CreateDirectory(Folder);
        var path = PathOf(request.CaptureId);
        File.WriteAllBytes(path + ".tmp", AutoCaptureJson.Serialize(request));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public void Remove(string captureId) => File.Delete(PathOf(captureId));

    /// <summary>Requests left by a previous run of the collector; unreadable entries are dropped with the reason.</summary>
    public IEnumerable<(CaptureRequest? Request, string File, string? Problem)> Leftovers()
    {
        if (!Directory.Exists(Folder))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(Folder, "*.json"))
        {
            CaptureRequest? request = null;
            string? problem = null;
            try
            {
                request = AutoCaptureJson.Deserialize<CaptureRequest>(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
            {
                problem = e.Message;
            }

            yield return (request, file, problem);
        }
    }

    private string PathOf(string captureId) =>
        CaptureIds.IsValid(captureId)
            ? Path.Combine(Folder, captureId + ".json")
            : throw new ArgumentException($"'{captureId}' is not a capture id.", nameof(captureId));
}
