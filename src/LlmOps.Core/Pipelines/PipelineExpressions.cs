using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LlmOps.Pipelines;

/// <summary>References inside step inputs (<c>${steps.train.outputs.model_version}</c>, <c>${params.name}</c>, <c>${run.id}</c>)
/// and <c>when:</c> conditions (<c>${steps.evaluate.outputs.gate} == 'passed' &amp;&amp; ${params.deploy}</c>).</summary>
public static partial class PipelineExpressions
{
    /// <summary>A reference found in a text: its kind (<c>steps</c>, <c>params</c>, <c>run</c>), the step id (for steps) and the name.</summary>
    public sealed record Reference(string Kind, string? Step, string Name, string Text);

    /// <summary>Every <c>${…}</c> in <paramref name="text"/>; throws <see cref="FormatException"/> for a malformed one.</summary>
    public static IReadOnlyList<Reference> References(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<Reference>();
        var index = 0;
        while ((index = text.IndexOf("${", index, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf('}', index);
            if (end < 0) throw new FormatException($"unclosed '${{' in '{text}'");
            result.Add(ParseReference(text[index..(end + 1)]));
            index = end + 1;
        }
        return result;
    }

    /// <summary>Replaces each reference with its value from <paramref name="resolve"/>.</summary>
    public static string Interpolate(string text, Func<Reference, string> resolve)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(resolve);
        var builder = new StringBuilder();
        var index = 0;
        foreach (var reference in References(text))
        {
            var at = text.IndexOf(reference.Text, index, StringComparison.Ordinal);
            builder.Append(text, index, at - index).Append(resolve(reference));
            index = at + reference.Text.Length;
        }
        return builder.Append(text, index, text.Length - index).ToString();
    }

    static Reference ParseReference(string text)
    {
        var match = ReferencePattern().Match(text);
        if (!match.Success)
            throw new FormatException($"'{text}' is not a reference; use ${{steps.ID.outputs.NAME}}, ${{params.NAME}} or ${{run.id}}");
        return match.Groups["kind"].Value switch
        {
            "steps" => new Reference("steps", match.Groups["step"].Value, match.Groups["name"].Value, text),
            "params" => new Reference("params", null, match.Groups["param"].Value, text),
            _ => new Reference("run", null, match.Groups["field"].Value, text),
        };
    }

    [GeneratedRegex(@"^\$\{\s*(?:(?<kind>steps)\.(?<step>[A-Za-z0-9_-]+)\.outputs\.(?<name>[A-Za-z0-9_]+)|(?<kind>params)\.(?<param>[A-Za-z0-9_]+)|(?<kind>run)\.(?<field>id|pipeline))\s*\}$")]
    private static partial Regex ReferencePattern();

    /// <summary>Parses a condition; throws <see cref="FormatException"/> with what is wrong.</summary>
    public static Condition ParseCondition(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new ConditionParser(Tokenize(text), text);
        var condition = parser.Or();
        parser.ExpectEnd();
        return condition;
    }

    /// <summary>A parsed condition: evaluate against resolved references.</summary>
    public abstract record Condition
    {
        public abstract string Evaluate(Func<Reference, string> resolve);

        public bool IsTrue(Func<Reference, string> resolve) => Truthy(Evaluate(resolve));

        /// <summary>The references the condition reads.</summary>
        public abstract IEnumerable<Reference> References();
    }

    static bool Truthy(string value) => value.Length > 0 && value is not ("false" or "False" or "0");

    sealed record Literal(string Value) : Condition
    {
        public override string Evaluate(Func<Reference, string> resolve) => Value;
        public override IEnumerable<Reference> References() => [];
    }

    sealed record Ref(Reference Reference) : Condition
    {
        public override string Evaluate(Func<Reference, string> resolve) => resolve(Reference);
        public override IEnumerable<Reference> References() => [Reference];
    }

    sealed record Not(Condition Inner) : Condition
    {
        public override string Evaluate(Func<Reference, string> resolve) => Inner.IsTrue(resolve) ? "false" : "true";
        public override IEnumerable<Reference> References() => Inner.References();
    }

    sealed record Binary(string Operator, Condition Left, Condition Right) : Condition
    {
        public override string Evaluate(Func<Reference, string> resolve)
        {
            if (Operator == "&&") return Left.IsTrue(resolve) && Right.IsTrue(resolve) ? "true" : "false";
            if (Operator == "||") return Left.IsTrue(resolve) || Right.IsTrue(resolve) ? "true" : "false";
            var left = Left.Evaluate(resolve);
            var right = Right.Evaluate(resolve);
            // Numbers compare as numbers (so 0.90 >= 0.9), everything else as ordinal text.
            var numeric = double.TryParse(left, NumberStyles.Float, CultureInfo.InvariantCulture, out var l)
                & double.TryParse(right, NumberStyles.Float, CultureInfo.InvariantCulture, out var r);
            var order = numeric ? l.CompareTo(r) : string.CompareOrdinal(left, right);
            var result = Operator switch
            {
                "==" => order == 0,
                "!=" => order != 0,
                "<" => order < 0,
                "<=" => order <= 0,
                ">" => order > 0,
                _ => order >= 0,
            };
            return result ? "true" : "false";
        }

        public override IEnumerable<Reference> References() => Left.References().Concat(Right.References());
    }

    static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var end = text.IndexOf('}', i);
                if (end < 0) throw new FormatException($"unclosed '${{' in '{text}'");
                tokens.Add(text[i..(end + 1)]);
                i = end + 1;
            }
            else if (c is '\'' or '"')
            {
                var end = text.IndexOf(c, i + 1);
                if (end < 0) throw new FormatException($"unclosed quote in '{text}'");
                tokens.Add(text[i..(end + 1)]);
                i = end + 1;
            }
            else if (i + 1 < text.Length && text.Substring(i, 2) is "==" or "!=" or "<=" or ">=" or "&&" or "||")
            {
                tokens.Add(text.Substring(i, 2));
                i += 2;
            }
            else if (c is '<' or '>' or '!' or '(' or ')')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '.' or '-' or '_')) i++;
                if (i == start) throw new FormatException($"unexpected '{c}' in '{text}'");
                tokens.Add(text[start..i]);
            }
        }
        return tokens;
    }

    sealed class ConditionParser(List<string> tokens, string text)
    {
        int position;

        string? Peek => position < tokens.Count ? tokens[position] : null;

        public void ExpectEnd()
        {
            if (Peek is { } extra) throw new FormatException($"unexpected '{extra}' in '{text}'");
        }

        public Condition Or()
        {
            var left = And();
            while (Peek == "||") { position++; left = new Binary("||", left, And()); }
            return left;
        }

        Condition And()
        {
            var left = Comparison();
            while (Peek == "&&") { position++; left = new Binary("&&", left, Comparison()); }
            return left;
        }

        Condition Comparison()
        {
            var left = Operand();
            if (Peek is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                var op = tokens[position++];
                return new Binary(op, left, Operand());
            }
            return left;
        }

        Condition Operand()
        {
            var token = Peek ?? throw new FormatException($"'{text}' ends where a value is expected");
            position++;
            if (token == "!") return new Not(Operand());
            if (token == "(")
            {
                var inner = Or();
                if (Peek != ")") throw new FormatException($"missing ')' in '{text}'");
                position++;
                return inner;
            }
            if (token.StartsWith("${", StringComparison.Ordinal)) return new Ref(ParseReference(token));
            if (token[0] is '\'' or '"') return new Literal(token[1..^1]);
            if (token is "true" or "false" || double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return new Literal(token);
            throw new FormatException($"'{token}' in '{text}' is neither a reference, a quoted string, a number nor true/false");
        }
    }
}
