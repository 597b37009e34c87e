using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>Converts the JSON Schema subset that GBNF can express to a grammar: objects with listed properties
/// (all emitted, in order), arrays, strings (with enum / const), integers, numbers, booleans and null.
/// Anything else (patterns, $ref, oneOf, numeric bounds…) is refused with a message naming it.</summary>
public static class JsonSchemaGrammar
{
    const string Primitives = """
        ws      ::= | " "
        string  ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
        integer ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ws
        number  ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
        boolean ::= ("true" | "false") ws
        null    ::= "null" ws
        """;

    static readonly HashSet<string> Understood = ["type", "properties", "required", "items", "enum", "const", "additionalProperties", "title", "description", "$schema"];

    public static string Convert(JsonElement schema)
    {
        var rules = new List<string>();
        var root = Rule(schema, "root", rules, "$");
        var grammar = new StringBuilder();
        grammar.Append("root ::= ").Append(root).Append('\n');
        foreach (var rule in rules) grammar.Append(rule).Append('\n');
        return grammar.Append(Primitives).ToString();
    }

    static string Rule(JsonElement schema, string name, List<string> rules, string path)
    {
        if (schema.ValueKind != JsonValueKind.Object) throw Unsupported(path, "a schema must be an object");
        foreach (var property in schema.EnumerateObject())
        {
            if (!Understood.Contains(property.Name)) throw Unsupported(path, $"'{property.Name}' cannot be expressed as a llama.cpp grammar here");
        }
        if (schema.TryGetProperty("const", out var constant)) return Literal(constant);
        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0) throw Unsupported(path, "enum must be a non-empty array");
            return "(" + string.Join(" | ", values.EnumerateArray().Select(Literal)) + ")";
        }
        if (!schema.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            throw Unsupported(path, "every schema needs a single 'type' (or enum / const)");
        switch (typeElement.GetString())
        {
            case "string": return "string";
            case "integer": return "integer";
            case "number": return "number";
            case "boolean": return "boolean";
            case "null": return "null";
            case "array":
                if (!schema.TryGetProperty("items", out var items)) return Define(rules, name, "\"[\" ws ( value-any )? \"]\" ws", path, anyValue: true);
                var item = Rule(items, name + "-item", rules, path + ".items");
                return Define(rules, name, $"\"[\" ws ( {item} (\",\" ws {item})* )? \"]\" ws", path);
            case "object":
                if (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
                    throw Unsupported(path, "an object needs 'properties'");
                var parts = new List<string>();
                var index = 0;
                foreach (var property in properties.EnumerateObject())
                {
                    var valueRule = Rule(property.Value, $"{name}-p{index++.ToString(CultureInfo.InvariantCulture)}", rules, $"{path}.{property.Name}");
                    parts.Add($"{Literal(property.Name)} \":\" ws {valueRule}");
                }
                var body = parts.Count == 0 ? "" : string.Join(" \",\" ws ", parts) + " ";
                return Define(rules, name, $"\"{{\" ws {body}\"}}\" ws", path);
            default:
                throw Unsupported(path, $"type '{typeElement.GetString()}' is unknown");
        }
    }

    static string Define(List<string> rules, string name, string body, string path, bool anyValue = false)
    {
        if (anyValue) throw Unsupported(path, "an array needs 'items'");
        rules.Add($"{name} ::= {body}");
        return name;
    }

    static string Literal(JsonElement value)
    {
        var json = value.ValueKind == JsonValueKind.String ? JsonSerializer.Serialize(value.GetString()) : value.GetRawText();
        return Literal(json, raw: true);
    }

    static string Literal(string text, bool raw = false)
    {
        var json = raw ? text : JsonSerializer.Serialize(text);
        // A GBNF literal is a double-quoted string with backslash escapes.
        return "\"" + json.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\" ws";
    }

    static InvalidInputException Unsupported(string path, string reason) =>
        new("response_format", $"json_schema at {path}: {reason}. Supported: type object (with properties) / array (with items) / string / integer / number / boolean / null, enum, const.");
}
