using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace LlmOps.Tests.Evaluation;

/// <summary>Validates JUnit XML against the schema CI systems use (JUnit.xsd beside this file, copied to the output).</summary>
public static class JUnitSchema
{
    public static IReadOnlyList<string> Validate(string xml)
    {
        var schemas = new XmlSchemaSet();
        using (var reader = XmlReader.Create(Path.Combine(AppContext.BaseDirectory, "Evaluation", "JUnit.xsd"))) schemas.Add(null, reader);
        var errors = new List<string>();
        XDocument.Parse(xml).Validate(schemas, (_, e) => errors.Add($"{e.Severity}: {e.Message}"));
        return errors;
    }
}
