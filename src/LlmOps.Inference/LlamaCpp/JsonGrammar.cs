using LLama.Sampling;
using Microsoft.Extensions.AI;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>Grammars that constrain decoding to JSON (llama.cpp's GBNF) for <c>response_format</c>.</summary>
public static class JsonGrammar
{
    /// <summary>Any JSON object: llama.cpp's <c>grammars/json.gbnf</c>, whitespace limited so a model cannot pad forever.</summary>
    public const string JsonObject = """
        root   ::= object
        value  ::= object | array | string | number | ("true" | "false" | "null") ws
        object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
        array  ::= "[" ws ( value ("," ws value)* )? "]" ws
        string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
        number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
        ws     ::= | " "
        """;

    /// <summary>The grammar for a response format, or null for text.</summary>
    public static Grammar? For(ChatResponseFormat? format) => format switch
    {
        null or ChatResponseFormatText => null,
        ChatResponseFormatJson { Schema: null } => new Grammar(JsonObject, "root"),
        ChatResponseFormatJson { Schema: { } schema } => new Grammar(JsonSchemaGrammar.Convert(schema), "root"),
        _ => throw new InvalidInputException("response_format", "unknown response format."),
    };
}
