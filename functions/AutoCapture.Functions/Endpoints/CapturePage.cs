using System.Text;
using System.Text.Encodings.Web;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Dispatch;

namespace AutoCapture.Functions.Endpoints;

/// <summary>A plain HTML view of one capture: alert, target, outcome, findings and artifact downloads.</summary>
internal static class CapturePage
{
    public static string Render(CaptureManifest manifest, PublicUrls urls)
    {
        var html = HtmlEncoder.Default;
        var message = ChatMessage.For(manifest, urls);
        var page = new StringBuilder();
        page.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(html.Encode($"AutoCapture {manifest.Id}"))
            .Append("</title><style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}td,th{padding:.2rem .6rem;text-align:left;vertical-align:top}pre{background:#f4f4f4;padding:1rem;overflow:auto}</style></head><body>");
        page.Append("<h1>").Append(html.Encode(message.Title)).Append("</h1><p>").Append(html.Encode(message.Headline)).Append("</p><table>");
        foreach (var (name, value) in message.Fields)
        {
            page.Append("<tr><th>").Append(html.Encode(name)).Append("</th><td>").Append(html.Encode(value)).Append("</td></tr>");
        }

        page.Append("</table>");
        if (message.Findings.Count > 0)
        {
            page.Append("<h2>Findings</h2><pre>").Append(html.Encode(string.Join('\n', message.Findings))).Append("</pre>");
        }

        if (manifest.Artifacts.Count > 0)
        {
            page.Append("<h2>Artifacts</h2><table><tr><th>name</th><th>size</th><th>sha256</th></tr>");
            foreach (var artifact in manifest.Artifacts)
            {
                page.Append("<tr><td><a href=\"").Append(html.Encode(urls.Artifact(manifest.Id, artifact.Name))).Append("\">")
                    .Append(html.Encode(artifact.Name)).Append("</a></td><td>").Append(html.Encode(ChatMessage.FormatBytes(artifact.Size)))
                    .Append("</td><td><code>").Append(html.Encode(artifact.Sha256)).Append("</code></td></tr>");
            }

            page.Append("</table>");
        }

        page.Append("</body></html>");
        return page.ToString();
    }
}
