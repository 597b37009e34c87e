using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmOps;

/// <summary>The one JSON shape used on the wire, in the store's JSON columns and in CLI <c>--json</c> output.</summary>
public static class LlmOpsJson
{
    /// <summary>camelCase names, enums as strings; nulls are written, since records read back need every constructor parameter.</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>As <see cref="Options"/>, indented for people.</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    /// <summary>Applies the LlmOps conventions to options owned by a host (ASP.NET Core's).</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.Converters.Add(new JsonStringEnumConverter());
        // A missing required field or a null where none is allowed is an error that names the field.
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
    }

    static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = indented };
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
