using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace MjVideo.Reports;

/// <summary>
/// A DataFrame as a plain HTML table. The notebooks register it as the DataFrame formatter because the default one
/// pages its rows with JavaScript, which GitHub's notebook view does not run (the committed tables would be empty).
/// </summary>
public static class TableView
{
    public const int MaxRows = 300;

    public static string Html(DataFrame frame)
    {
        var html = new StringBuilder("<table><thead><tr>");
        foreach (var column in frame.Columns) html.Append("<th>").Append(WebUtility.HtmlEncode(column.Name)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        var shown = Math.Min(frame.Rows.Count, MaxRows);
        for (long r = 0; r < shown; r++)
        {
            html.Append("<tr>");
            foreach (var value in frame.Rows[r]) html.Append("<td>").Append(WebUtility.HtmlEncode(value?.ToString() ?? "")).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        if (frame.Rows.Count > shown) html.Append($"<p>{frame.Rows.Count - shown} more rows not shown</p>");
        return html.ToString();
    }
}
