using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace AutoCapture.Core.Hosting;

/// <summary>
/// <c>--help</c> for the services: every setting their options classes bind, as the environment variable that sets it,
/// with its default. Read from the classes themselves so the list cannot drift from what is bound; defaults only,
/// never the configuration in effect, so no secret can show.
/// </summary>
public static class SettingsHelp
{
    public static bool Asked(IEnumerable<string> args) => args.Any(a => a is "--help" or "-h" or "-?");

    public static string Describe(string usage, params (string Section, object Defaults)[] sections)
    {
        var text = new StringBuilder(usage).AppendLine().AppendLine()
            .AppendLine("Settings come from appsettings.json, then environment variables (shown), then command-line arguments")
            .AppendLine("(--AutoCapture:Section:Name=value). Defaults in brackets.");
        foreach (var (section, defaults) in sections)
        {
            text.AppendLine();
            Walk(section, defaults, defaults.GetType(), text);
        }

        return text.ToString();
    }

    private static void Walk(string path, object? value, Type type, StringBuilder text)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetIndexParameters().Length == 0))
        {
            var name = $"{path}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var current = value is null ? null : property.GetValue(value);
            if (IsScalar(propertyType))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {Variable(name)}  [{Format(current)}]");
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                Element(name, "<name>", propertyType.GetGenericArguments()[1], text);
            }
            else if (typeof(IEnumerable).IsAssignableFrom(propertyType) && propertyType.IsGenericType)
            {
                Element(name, "<n>", propertyType.GetGenericArguments()[0], text);
            }
            else
            {
                Walk(name, current, propertyType, text);
            }
        }
    }

    private static void Element(string name, string index, Type element, StringBuilder text)
    {
        if (IsScalar(element))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {Variable($"{name}:{index}")}  [none]");
        }
        else
        {
            Walk($"{name}:{index}", null, element, text);
        }
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTimeOffset) || type == typeof(Uri);

    private static string Variable(string name) => name.Replace(":", "__", StringComparison.Ordinal);

    private static string Format(object? value) => value switch
    {
        null => "none",
        string { Length: 0 } => "none",
        bool b => b ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "none",
    };
}
