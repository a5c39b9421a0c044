using System.Net;

namespace DeepSeek.Portal.Tests;

public sealed class TempFileSweepTests
{
    [Fact]
    public async Task Start_up_removes_temporary_files_left_by_a_crashed_import_and_keeps_datasets()
    {
        var dataDirectory = PortalFactory.NewDataDirectory();
        string kept;
        await using (var first = new PortalFactory(dataDirectory))
        {
            var dataset = await TestData.UploadDatasetAsync(await first.ClientForRoleAsync(Accounts.PortalRoles.Engineer), "kept", records: 3);
            kept = Path.Combine(dataDirectory, "datasets", dataset.Sha256 + ".jsonl");
        }

        // What a process killed mid-upload and mid-import leaves: the streamed upload, the canonical file before its move,
        // and the .import-*.tmp name that earlier versions used beside the datasets.
        string[] leftovers =
        [
            Path.Combine(dataDirectory, "temp", "upload-0123456789abcdef.tmp"),
            Path.Combine(dataDirectory, "temp", "canonical-0123456789abcdef.tmp"),
            Path.Combine(dataDirectory, "datasets", ".import-0123456789abcdef.tmp"),
        ];
        foreach (var file in leftovers)
            await File.WriteAllTextAsync(file, "{\"text\": \"half");

        await using (var second = new PortalFactory(dataDirectory))
        {
            var client = await second.ClientForRoleAsync(Accounts.PortalRoles.Engineer);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/datasets")).StatusCode);
            Assert.All(leftovers, file => Assert.False(File.Exists(file), file));
            Assert.True(File.Exists(kept));
        }
        PortalFactory.DeleteDataDirectory(dataDirectory);
    }
}
