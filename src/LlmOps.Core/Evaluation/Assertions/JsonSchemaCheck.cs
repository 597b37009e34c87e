using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LlmOps.Evaluation.Assertions;

/// <summary>The JSON Schema keywords structured-output checks use: type, properties, required, additionalProperties, items,
/// enum, const, minimum, maximum, minLength, maxLength, minItems, maxItems, pattern. The schema is checked when the suite loads.</summary>
public sealed class JsonSchemaCheck
{
    static readonly HashSet<string> Types = ["object", "array", "string", "number", "integer", "boolean", "null"];
    static readonly HashSet<string> Known = ["type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
        "minLength", "maxLength", "minItems", "maxItems", "pattern", "description", "title", "$schema", "$id", "default", "examples", "format"];

    readonly JsonObject schema;

    JsonSchemaCheck(JsonObject schema) => this.schema = schema;

    /// <summary>Checks the schema itself; throws <see cref="InvalidInputException"/> naming the path at fault.</summary>
    public static JsonSchemaCheck Create(JsonNode? schema)
    {
        if (schema is not JsonObject root) throw new InvalidInputException("value", "a JSON schema must be an object.");
        CheckSchema(root, "$");
        return new JsonSchemaCheck(root);
    }

    /// <summary>The first violation, or null when <paramref name="instance"/> conforms.</summary>
    public string? Validate(JsonNode? instance) => Validate(schema, instance, "$");

    static void CheckSchema(JsonObject node, string path)
    {
        foreach (var (key, value) in node)
        {
            if (!Known.Contains(key)) throw new InvalidInputException("value", $"schema {path}: unsupported keyword '{key}'.");
            switch (key)
            {
                case "type":
                    var names = value is JsonArray array ? array.Select(n => n?.ToString() ?? "").ToList() : [value?.ToString() ?? ""];
                    foreach (var name in names)
                        if (!Types.Contains(name)) throw new InvalidInputException("value", $"schema {path}.type: unknown type '{name}'.");
                    break;
                case "properties":
                    if (value is not JsonObject properties) throw new InvalidInputException("value", $"schema {path}.properties must be an object.");
                    foreach (var (name, sub) in properties)
                    {
                        if (sub is not JsonObject subSchema) throw new InvalidInputException("value", $"schema {path}.properties.{name} must be an object.");
                        CheckSchema(subSchema, $"{path}.{name}");
                    }
                    break;
                case "items":
                    if (value is not JsonObject items) throw new InvalidInputException("value", $"schema {path}.items must be an object.");
                    CheckSchema(items, $"{path}[]");
                    break;
                case "required":
                    if (value is not JsonArray) throw new InvalidInputException("value", $"schema {path}.required must be a list.");
                    break;
                case "pattern":
                    try { _ = new Regex(value?.ToString() ?? "", RegexOptions.None, TimeSpan.FromSeconds(1)); }
                    catch (ArgumentException exception) { throw new InvalidInputException("value", $"schema {path}.pattern: {exception.Message}"); }
                    break;
                case "minimum" or "maximum" or "minLength" or "maxLength" or "minItems" or "maxItems":
                    if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
                        throw new InvalidInputException("value", $"schema {path}.{key} must be a number.");
                    break;
            }
        }
    }

    static string? Validate(JsonObject schema, JsonNode? node, string path)
    {
        var kind = node?.GetValueKind() ?? JsonValueKind.Null;
        if (schema["type"] is { } typeNode)
        {
            var allowed = typeNode is JsonArray array ? array.Select(n => n!.ToString()).ToList() : [typeNode.ToString()];
            if (!allowed.Any(t => Is(t, node, kind))) return $"{path}: expected {string.Join(" or ", allowed)}, got {Describe(kind)}";
        }
        if (schema["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, node)))
            return $"{path}: {node?.ToJsonString() ?? "null"} is not one of {options.ToJsonString()}";
        if (schema.ContainsKey("const") && !JsonNode.DeepEquals(schema["const"], node))
            return $"{path}: expected {schema["const"]?.ToJsonString() ?? "null"}";
        switch (node)
        {
            case JsonObject obj:
                if (schema["required"] is JsonArray required)
                {
                    foreach (var name in required.Select(n => n!.ToString()))
                        if (!obj.ContainsKey(name)) return $"{path}: missing required property '{name}'";
                }
                var properties = schema["properties"] as JsonObject;
                foreach (var (name, value) in obj)
                {
                    if (properties?[name] is JsonObject sub)
                    {
                        if (Validate(sub, value, $"{path}.{name}") is { } error) return error;
                    }
                    else if (schema["additionalProperties"] is JsonValue extra && extra.GetValueKind() == JsonValueKind.False)
                    {
                        return $"{path}: property '{name}' is not allowed";
                    }
                }
                break;
            case JsonArray list:
                if (Number(schema, "minItems") is { } minItems && list.Count < minItems) return $"{path}: fewer than {minItems} items";
                if (Number(schema, "maxItems") is { } maxItems && list.Count > maxItems) return $"{path}: more than {maxItems} items";
                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < list.Count; i++)
                        if (Validate(items, list[i], $"{path}[{i}]") is { } error) return error;
                }
                break;
            case JsonValue value when kind == JsonValueKind.String:
                var text = value.GetValue<string>();
                if (Number(schema, "minLength") is { } minLength && text.Length < minLength) return $"{path}: shorter than {minLength}";
                if (Number(schema, "maxLength") is { } maxLength && text.Length > maxLength) return $"{path}: longer than {maxLength}";
                if (schema["pattern"] is { } pattern && !Regex.IsMatch(text, pattern.ToString(), RegexOptions.None, TimeSpan.FromSeconds(1)))
                    return $"{path}: does not match {pattern}";
                break;
            case JsonValue value when kind == JsonValueKind.Number:
                var number = value.GetValue<double>();
                if (Number(schema, "minimum") is { } minimum && number < minimum) return $"{path}: {number.ToString(CultureInfo.InvariantCulture)} < {minimum.ToString(CultureInfo.InvariantCulture)}";
                if (Number(schema, "maximum") is { } maximum && number > maximum) return $"{path}: {number.ToString(CultureInfo.InvariantCulture)} > {maximum.ToString(CultureInfo.InvariantCulture)}";
                break;
        }
        return null;
    }

    static bool Is(string type, JsonNode? node, JsonValueKind kind) => type switch
    {
        "object" => kind == JsonValueKind.Object,
        "array" => kind == JsonValueKind.Array,
        "string" => kind == JsonValueKind.String,
        "number" => kind == JsonValueKind.Number,
        "integer" => kind == JsonValueKind.Number && node!.GetValue<double>() is var d && Math.Floor(d) == d,
        "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
        "null" => kind == JsonValueKind.Null,
        _ => false,
    };

    static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => kind.ToString().ToLowerInvariant(),
    };

    static double? Number(JsonObject schema, string key) => schema[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;
}
