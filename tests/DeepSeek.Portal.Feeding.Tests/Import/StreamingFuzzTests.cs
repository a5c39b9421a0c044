using DeepSeek.Portal.Feeding.Import;
using static DeepSeek.Portal.Feeding.Tests.Import.Streaming;

namespace DeepSeek.Portal.Feeding.Tests.Import;

/// <summary>Mutated copies of valid files (flipped, cut, inserted and doubled bytes): malformed input must never throw.</summary>
public class StreamingFuzzTests
{
    public static TheoryData<string> Files => new() { "seed.jsonl", "seed.json", "seed.csv", "seed.tsv", "seed.txt", "seed.parquet", "seed.dat" };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Mutated_files_give_errors_or_records_but_never_an_exception(string fileName)
    {
        var seed = await SeedAsync(fileName);
        var random = new Random(20260101 + fileName.Length);
        var mapping = new FieldMapping { Template = "{title}\n{paragraphs}" };
        for (var i = 0; i < 150; i++)
        {
            var mutated = Mutate(seed, random);
            foreach (var withMapping in new[] { false, true })
            {
                var outcome = await ImportAsync(mutated, fileName, r => r with
                {
                    Mapping = withMapping ? mapping : null,
                    Limits = new ImportLimits { MaxRecordBytes = 4096 },
                }, bytesPerRead: 1 + i % 97);

                Assert.True(outcome.Summary.Succeeded || outcome.Summary.Errors.Count > 0, $"case {i}: no records and no error");
                Assert.Equal(outcome.Summary.Records, outcome.Records.Count);
                Assert.All(outcome.Summary.Errors, e => Assert.StartsWith(fileName, e.ToString(), StringComparison.Ordinal));
            }
        }
    }

    private static async Task<byte[]> SeedAsync(string fileName) => Path.GetExtension(fileName) switch
    {
        ".jsonl" => Utf8("{\"title\": \"静夜思\", \"paragraphs\": [\"床前明月光\", \"疑是地上霜\"]}\n{\"text\": \"hello\", \"n\": 1.5e3}\n{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"你好\"}]}\n"),
        ".json" => Utf8("{\"data\": [{\"title\": \"静夜思\", \"paragraphs\": [\"床前明月光\"]}, {\"instruction\": \"a\", \"output\": \"b\"}, \"plain\"]}"),
        ".csv" => Utf8("title,paragraphs,text\n静夜思,\"床前\n明月光\",\"a \"\"q\"\"\"\nb,c,d\n"),
        ".tsv" => Utf8("title\tparagraphs\ttext\n静夜思\t床前\tx\n"),
        ".parquet" => await ParquetFiles.PoemsAsync(rowGroups: 2),
        _ => Utf8("第一段\n第二行\n\nsecond paragraph\r\n"),
    };

    private const string Specials = "{}[]\",:\n\\\r\t";

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToList();
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.Insert(at, (byte)Specials[random.Next(Specials.Length)]);
                    break;
                case 3:
                    bytes.InsertRange(at, new byte[] { 0xEF, 0xBB, 0xBF });
                    break;
                default:
                    bytes.RemoveAt(at);
                    break;
            }
        }

        return bytes.ToArray();
    }
}
