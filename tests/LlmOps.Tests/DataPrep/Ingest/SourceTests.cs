using System.Text;
using LlmOps.DataPrep;
using LlmOps.DataPrep.Ingest;
using Parquet;
using Parquet.Schema;

namespace LlmOps.Tests.DataPrep.Ingest;

public class SourceTests
{
    private static async Task<List<SourceRow>> ReadAsync(string content, Func<Stream, IAsyncEnumerable<SourceRow>> read) =>
        await ReadAsync(Encoding.UTF8.GetBytes(content), read);

    private static async Task<List<SourceRow>> ReadAsync(byte[] content, Func<Stream, IAsyncEnumerable<SourceRow>> read)
    {
        using var stream = new MemoryStream(content);
        var rows = new List<SourceRow>();
        await foreach (var row in read(stream))
            rows.Add(row);
        return rows;
    }

    [Fact]
    public async Task Jsonl_MixedRows_ReportsEachBadRowWithLineAndReason()
    {
        var content = "{\"text\":\"ok\"}\n\n{bad json}\n{\"other\":1}\n{\"text\":5}\n[1]\n{\"text\":\"last\"}";
        var rows = await ReadAsync(content, s => JsonlSource.ReadAsync(s, "a.jsonl", new InputSettings()));

        Assert.Equal(6, rows.Count);
        Assert.Equal("ok", rows[0].Record!.Text);
        Assert.Equal(new RecordOrigin("a.jsonl", 1), rows[0].Origin);
        Assert.Equal(3, rows[1].Origin.Line);
        Assert.StartsWith("bad JSON", rows[1].Error, StringComparison.Ordinal);
        Assert.Equal("missing field 'text'", rows[2].Error);
        Assert.Equal("field 'text' must be a string, found Number", rows[3].Error);
        Assert.Equal("expected a JSON object, found Array", rows[4].Error);
        Assert.Equal(7, rows[5].Origin.Line);
        Assert.Equal("last", rows[5].Record!.Text);
    }

    [Fact]
    public async Task Jsonl_InvalidUtf8_ReportedWithLine()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"text\":\"fine\"}\r\n{\"text\":\"x\"}\n").ToList();
        bytes.InsertRange(bytes.Count - 3, new byte[] { 0xC3, 0x28 }); // invalid two-byte sequence inside line 2
        var rows = await ReadAsync(bytes.ToArray(), s => JsonlSource.ReadAsync(s, "u.jsonl", new InputSettings()));

        Assert.Equal("fine", rows[0].Record!.Text);
        Assert.Equal(2, rows[1].Origin.Line);
        Assert.Equal("invalid UTF-8", rows[1].Error);
    }

    [Fact]
    public async Task Jsonl_ChatAndPromptCompletionMapping_UsesRecipeFields()
    {
        var chat = "{\"conv\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n"
            + "{\"conv\":[{\"role\":\"robot\",\"content\":\"x\"}]}\n";
        var rows = await ReadAsync(chat, s => JsonlSource.ReadAsync(s, "c.jsonl", new InputSettings { Shape = RecordShape.Chat, MessagesField = "conv" }));
        Assert.Equal(["system", "user", "assistant"], rows[0].Record!.Messages.Select(m => m.Role));
        Assert.Contains("unknown role 'robot'", rows[1].Error, StringComparison.Ordinal);

        var pc = "{\"q\":\"2+2?\",\"a\":\"4\"}\n";
        var pcRows = await ReadAsync(pc, s => JsonlSource.ReadAsync(s, "p.jsonl", new InputSettings { Shape = RecordShape.PromptCompletion, PromptField = "q", CompletionField = "a" }));
        Assert.Equal(("2+2?", "4"), (pcRows[0].Record!.Prompt, pcRows[0].Record!.Completion));
    }

    [Fact]
    public async Task Jsonl_LineLongerThanBuffer_ReadWhole()
    {
        var longText = new string('x', 200_000);
        var rows = await ReadAsync($"{{\"text\":\"{longText}\"}}\n{{\"text\":\"b\"}}\n", s => JsonlSource.ReadAsync(s, "l.jsonl", new InputSettings()));
        Assert.Equal(longText, rows[0].Record!.Text);
        Assert.Equal("b", rows[1].Record!.Text);
        Assert.Equal(2, rows[1].Origin.Line);
    }

    [Fact]
    public async Task Csv_QuotedMultilineField_OneRecordWithStartLine()
    {
        var csv = "id,prompt,completion\n1,\"say \"\"hi\"\"\",\"line one\nline two\"\n2,short,row,extra\n3,p,c\n";
        var rows = await ReadAsync(csv, s => CsvSource.ReadAsync(s, "d.csv", new InputSettings { Shape = RecordShape.PromptCompletion }));

        Assert.Equal(3, rows.Count);
        Assert.Equal("say \"hi\"", rows[0].Record!.Prompt);
        Assert.Equal("line one\nline two", rows[0].Record!.Completion);
        Assert.Equal(2, rows[0].Origin.Line);
        Assert.Equal(4, rows[1].Origin.Line);
        Assert.Equal("expected 3 CSV fields, found 4", rows[1].Error);
        Assert.Equal(5, rows[2].Origin.Line);
    }

    [Fact]
    public async Task Text_ParagraphUnit_SplitsOnBlankLines()
    {
        var text = "first para\nstill first\n\n\nsecond\n";
        var rows = await ReadAsync(text, s => TextSource.ReadAsync(s, "t.txt", new InputSettings { TextUnit = TextUnit.Paragraph }));
        Assert.Equal(["first para\nstill first", "second"], rows.Select(r => r.Record!.Text));
        Assert.Equal([1L, 5L], rows.Select(r => r.Origin.Line));
    }

    [Fact]
    public async Task Parquet_StringColumns_ReadRowByRow()
    {
        using var folder = new TempFolder();
        var path = folder.Sub("p.parquet");
        var prompt = new DataField<string>("prompt");
        var completion = new DataField<string>("completion");
        await using (var file = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(prompt, completion), file);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(prompt, new[] { "q1", "q2" });
            await group.WriteAsync(completion, new[] { "a1", "a2" });
        }

        var rows = new List<SourceRow>();
        await foreach (var row in new SourceFile(path, "p.parquet", SourceFormat.Parquet).ReadAsync(new InputSettings { Shape = RecordShape.PromptCompletion }))
            rows.Add(row);
        var missing = new List<SourceRow>();
        await foreach (var row in new SourceFile(path, "p.parquet", SourceFormat.Parquet).ReadAsync(new InputSettings()))
            missing.Add(row);

        Assert.Null(rows[0].Error);
        Assert.Equal([("q1", "a1"), ("q2", "a2")], rows.Select(r => (r.Record!.Prompt!, r.Record.Completion!)));
        Assert.Equal(2, rows[1].Origin.Line);
        Assert.All(missing, r => Assert.Equal("missing field 'text'", r.Error));
    }

    [Fact]
    public void Resolve_Folder_OrdinalOrderAndPortableNames()
    {
        using var folder = new TempFolder();
        folder.File("data/b.jsonl", "{}");
        folder.File("data/A.txt", "x");
        folder.File("data/sub/c.csv", "text\nx");
        folder.File("data/ignored.bin", "x");
        folder.File("data/.hidden/d.jsonl", "{}");

        var files = SourceFile.Resolve([folder.Sub("data")]);

        Assert.Equal(["data/A.txt", "data/b.jsonl", "data/sub/c.csv"], files.Select(f => f.Name));
        Assert.Equal([SourceFormat.Text, SourceFormat.Jsonl, SourceFormat.Csv], files.Select(f => f.Format));
    }
}

public class JsonlEscapeTests
{
    [Theory]
    [InlineData("plain ascii")]
    [InlineData("caf\u00e9 na\u00efve \u6771\u4eac")]
    [InlineData("emoji \ud83d\ude00 and tab\t newline\n quote\" backslash\\ slash/ bell\u0007")]
    [InlineData("")]
    public async Task Jsonl_EscapedAndRawStrings_DecodeLikeSystemTextJson(string text)
    {
        var escaped = System.Text.Json.JsonSerializer.Serialize(new { text }); // ASCII-only: every non-ASCII char as \uXXXX
        var raw = System.Text.Json.JsonSerializer.Serialize(new { text }, new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var lowercase = escaped.Replace("\\u00E9", "\\u00e9", StringComparison.Ordinal);
        foreach (var line in new[] { escaped, raw, lowercase })
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
            await foreach (var row in JsonlSource.ReadAsync(stream, "e.jsonl", new InputSettings()))
                Assert.Equal(text, row.Record!.Text);
        }
    }

    [Theory]
    [InlineData("{\"text\":\"lone high \\ud83d here\"}")]
    [InlineData("{\"text\":\"lone low \\ude00 here\"}")]
    [InlineData("{\"text\":\"high at end \\ud83d\"}")]
    [InlineData("{\"text\":\"high then escape \\ud83d\\n\"}")]
    public async Task Jsonl_UnpairedSurrogateEscape_InvalidRow(string line)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
        var rows = new List<SourceRow>();
        await foreach (var row in JsonlSource.ReadAsync(stream, "s.jsonl", new InputSettings()))
            rows.Add(row);
        Assert.Single(rows);
        Assert.StartsWith("bad JSON", rows[0].Error, StringComparison.Ordinal);
    }
}

public class ParquetChatTests
{
    private sealed class ChatRow
    {
        public List<Message> Messages { get; set; } = [];
    }

    private sealed class Message
    {
        [System.Text.Json.Serialization.JsonPropertyName("role")]
        public string Role { get; set; } = "";

        [System.Text.Json.Serialization.JsonPropertyName("content")]
        public string Content { get; set; } = "";
    }

    [Fact]
    public async Task Parquet_NestedMessages_ReadAsChatWithBadRowsReported()
    {
        using var folder = new TempFolder();
        var path = folder.Sub("chat.parquet");
        var rows = new List<ChatRow>
        {
            new() { Messages = [new() { Role = "user", Content = "hi" }, new() { Role = "assistant", Content = "hello" }] },
            new() { Messages = [new() { Role = "robot", Content = "beep" }] },
        };
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, path);

        var read = new List<SourceRow>();
        await foreach (var row in new SourceFile(path, "chat.parquet", SourceFormat.Parquet).ReadAsync(new InputSettings { Shape = RecordShape.Chat, MessagesField = "Messages" }))
            read.Add(row);

        Assert.Equal(2, read.Count);
        Assert.Equal([("user", "hi"), ("assistant", "hello")], read[0].Record!.Messages.Select(m => (m.Role, m.Content)));
        Assert.Equal(new RecordOrigin("chat.parquet", 2), read[1].Origin);
        Assert.Contains("unknown role 'robot'", read[1].Error, StringComparison.Ordinal);
    }
}
