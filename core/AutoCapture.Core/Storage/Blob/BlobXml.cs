using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>The XML bodies of the blob REST API that the store sends and reads.</summary>
internal static class BlobXml
{
    public sealed record ListPage(IReadOnlyList<StoreItem> Items, string? NextMarker);

    public sealed record FindPage(IReadOnlyList<string> Names, string? NextMarker);

    public static async Task<XDocument> LoadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await XDocument.LoadAsync(stream, LoadOptions.None, cancellationToken);
    }

    public static ListPage ParseList(XDocument document)
    {
        var root = document.Root!;
        var items = root.Element("Blobs")?.Elements("Blob").Select(blob =>
        {
            var properties = blob.Element("Properties");
            return new StoreItem(
                (string)blob.Element("Name")!,
                long.Parse((string?)properties?.Element("Content-Length") ?? "0", CultureInfo.InvariantCulture),
                QuotedETag((string?)properties?.Element("Etag") ?? ""),
                DateTimeOffset.Parse((string?)properties?.Element("Last-Modified") ?? "", CultureInfo.InvariantCulture));
        }).ToList() ?? [];
        return new ListPage(items, Marker(root));
    }

    public static FindPage ParseFind(XDocument document)
    {
        var root = document.Root!;
        var names = root.Element("Blobs")?.Elements("Blob").Select(b => (string)b.Element("Name")!).ToList() ?? [];
        return new FindPage(names, Marker(root));
    }

    public static Dictionary<string, string> ParseTags(XDocument document) =>
        document.Root?.Element("TagSet")?.Elements("Tag").ToDictionary(t => (string)t.Element("Key")!, t => (string?)t.Element("Value") ?? "", StringComparer.Ordinal)
        ?? new Dictionary<string, string>(StringComparer.Ordinal);

    public static byte[] Tags(IReadOnlyDictionary<string, string> tags) => Utf8(new XElement("Tags",
        new XElement("TagSet", tags.Select(t => new XElement("Tag", new XElement("Key", t.Key), new XElement("Value", t.Value))))));

    public static byte[] BlockList(IEnumerable<string> blockIds) => Utf8(new XElement("BlockList", blockIds.Select(id => new XElement("Latest", id))));

    public static byte[] KeyInfo(DateTimeOffset start, DateTimeOffset expiry) => Utf8(new XElement("KeyInfo",
        new XElement("Start", start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
        new XElement("Expiry", expiry.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))));

    public static UserDelegationKey ParseDelegationKey(XDocument document)
    {
        var root = document.Root!;
        string Value(string name) => (string?)root.Element(name) ?? throw new StoreException($"Azure Blob Storage: the user delegation key has no {name}.");
        return new UserDelegationKey(
            Value("SignedOid"),
            Value("SignedTid"),
            DateTimeOffset.Parse(Value("SignedStart"), CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(Value("SignedExpiry"), CultureInfo.InvariantCulture),
            Value("SignedService"),
            Value("SignedVersion"),
            Convert.FromBase64String(Value("Value")));
    }

    /// <summary>Listings give ETags bare, headers quoted; the store always hands out the quoted form.</summary>
    public static string QuotedETag(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";

    public static string? ETagOf(HttpResponseMessage response) =>
        response.Headers.ETag?.Tag ?? (response.Headers.TryGetValues("ETag", out var values) ? QuotedETag(values.First()) : null);

    public static bool IsSuccess(HttpResponseMessage response) => (int)response.StatusCode is >= 200 and < 300;

    public static bool Is(HttpResponseMessage response, HttpStatusCode status, string? code = null) =>
        response.StatusCode == status && (code is null || BlobErrors.Code(response) == code);

    private static string? Marker(XElement root) => (string?)root.Element("NextMarker") is { Length: > 0 } marker ? marker : null;

    private static byte[] Utf8(XElement element)
    {
        var declaration = new XDeclaration("1.0", "utf-8", null);
        return Encoding.UTF8.GetBytes(declaration + element.ToString(SaveOptions.DisableFormatting));
    }
}
