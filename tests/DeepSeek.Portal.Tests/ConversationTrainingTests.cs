using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Datasets.Jobs;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Feeding.Import;
using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// Multi-turn conversations from upload to training: the import job keeps every turn in the version file, the records
/// read back with their turns, and a run trains them as chat examples. Old version lines (no turns) read and train as before.
/// </summary>
public sealed class ConversationTrainingTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    /// <summary>OpenAI <c>messages</c> and ShareGPT <c>conversations</c> lines, alternately, each with two answers.</summary>
    private static string ChatJsonl(int records)
    {
        var lines = new StringBuilder();
        for (int i = 0; i < records; i++)
        {
            lines.Append(i % 2 == 0
                ? $$"""{"messages": [{"role": "system", "content": "你是银行客服。"}, {"role": "user", "content": "第 {{i}} 位客户：我的卡丢了"}, {"role": "assistant", "content": "请立即挂失，编号 {{i}}。"}, {"role": "user", "content": "要带什么？"}, {"role": "assistant", "content": "请带身份证。"}]}"""
                : $$"""{"conversations": [{"from": "human", "value": "Customer {{i}}: what is the rate?"}, {"from": "gpt", "value": "It is 2.{{i}}%."}, {"from": "human", "value": "谢谢"}, {"from": "gpt", "value": "不客气！"}]}""");
            lines.Append('\n');
        }
        return lines.ToString();
    }

    [Fact]
    public async Task Multi_turn_conversations_keep_their_turns_through_an_import_job_and_a_version_and_train()
    {
        var job = await ImportAsync("chat.jsonl", ChatJsonl(40), "客服对话");
        var page = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{job.ResultVersionId}/records?pageSize=2", Json);

        var openAi = page!.Records[0].Record;
        Assert.Equal(
            [new ConversationTurn("system", "你是银行客服。"), new ConversationTurn("user", "第 0 位客户：我的卡丢了"), new ConversationTurn("assistant", "请立即挂失，编号 0。"),
             new ConversationTurn("user", "要带什么？"), new ConversationTurn("assistant", "请带身份证。")],
            openAi.Turns!);
        Assert.Equal("你是银行客服。\n第 0 位客户：我的卡丢了\n请立即挂失，编号 0。\n要带什么？\n请带身份证。", openAi.Text);
        Assert.Equal(("你是银行客服。\n第 0 位客户：我的卡丢了\n请立即挂失，编号 0。\n要带什么？", "请带身份证。"), (openAi.Prompt, openAi.Response));
        var shareGpt = page.Records[1].Record;
        Assert.Equal(["user", "assistant", "user", "assistant"], shareGpt.Turns!.Select(t => t.Role));
        Assert.Equal(["Customer 1: what is the rate?", "It is 2.1%.", "谢谢", "不客气！"], shareGpt.Turns!.Select(t => t.Content));

        // Both train on each of their two answers.
        foreach (var record in new[] { openAi, shareGpt })
        {
            var example = SupervisedRecords.From(record)!;
            Assert.Equal(2, example.Turns!.Count(t => t.Role == ChatRole.Assistant));
            Assert.Equal(record.Text, example.Text);
        }

        // The version file holds the turns, Chinese readable.
        var versions = await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json);
        var line = File.ReadLines(Path.Combine(_portal.DataDirectory, "datasets", versions!.Single().Sha256 + ".jsonl")).First();
        Assert.Contains("\"turns\":[{\"role\":\"system\",\"content\":\"你是银行客服。\"}", line, StringComparison.Ordinal);

        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
        {
            DatasetId = job.DatasetId!.Value, DatasetVersionId = job.ResultVersionId, Steps = 3, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 0, SequenceLength = 32,
        });
        Assert.Equal(HttpStatusCode.Created, launch.StatusCode);
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.True(done.Status == RunStatus.Succeeded, done.Error);
        Assert.Equal(3, done.CurrentStep);
        Assert.True(done.LastLoss is > 0 and < double.PositiveInfinity);
    }

    [Fact]
    public async Task Masking_a_conversation_masks_its_turns_and_it_still_trains_turn_by_turn()
    {
        var content = ChatJsonl(3) + """{"messages": [{"role": "user", "content": "我的邮箱是 zhang.wei@example.com"}, {"role": "assistant", "content": "已记录 zhang.wei@example.com。"}]}""" + "\n";
        var job = await ImportAsync("pii.jsonl", content, "pii");
        var response = await _engineer.PostAsJsonAsync($"/api/datasets/versions/{job.ResultVersionId}/transform", new { operation = "mask", parameters = new { kinds = new[] { "email" } } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var masked = await WaitAsync((await response.Content.ReadFromJsonAsync<DataJobView>(Json))!.Id);

        var page = await _engineer.GetFromJsonAsync<RecordPage>($"/api/datasets/versions/{masked.ResultVersionId}/records?pageSize=10", Json);
        var record = page!.Records[^1].Record;
        Assert.Equal(["我的邮箱是 [EMAIL]", "已记录 [EMAIL]。"], record.Turns!.Select(t => t.Content));
        Assert.DoesNotContain("@", record.Text, StringComparison.Ordinal);
        Assert.NotNull(SupervisedRecords.From(record)!.Turns);
    }

    [Fact]
    public void Old_version_lines_without_turns_read_as_before_and_pairs_still_train_on_their_answer()
    {
        var old = VersionRecord.Parse("{\"text\":\"我的卡丢了\\n请立即挂失。\",\"prompt\":\"我的卡丢了\",\"response\":\"请立即挂失。\"}");

        Assert.Null(old.Turns);
        Assert.Equal("{\"text\":\"我的卡丢了\\n请立即挂失。\",\"prompt\":\"我的卡丢了\",\"response\":\"请立即挂失。\"}", old.ToLine());
        var pair = SupervisedRecords.From(old)!;
        Assert.Equal(("我的卡丢了", "请立即挂失。"), (pair.Prompt, pair.Response));
        Assert.Null(pair.Turns);
        Assert.Null(SupervisedRecords.From(new VersionRecord { Text = "plain text" }));
    }

    [Fact]
    public void A_conversation_whose_text_was_rewritten_falls_back_to_its_pair_or_to_plain_text()
    {
        ConversationTurn[] turns = [new("user", "Q1"), new("assistant", "A1"), new("tool", "result"), new("assistant", "A2")];
        var record = new VersionRecord { Text = "Q1\nA1\nresult\nA2", Prompt = "Q1\nA1\nresult", Response = "A2", Turns = turns };

        var example = SupervisedRecords.From(VersionRecord.Parse(record.ToLine()))!;
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User, ChatRole.Assistant], example.Turns!.Select(t => t.Role));

        // Preprocessing rewrote the text: the turns no longer describe it, the pair neither.
        Assert.Null(SupervisedRecords.From(record with { Text = "Q1 A1 result A2" }));
        // The pair still does when only the turns' join differs.
        var pair = SupervisedRecords.From(record with { Turns = [new("user", "Q1\nA1"), new("assistant", "result A2")] })!;
        Assert.Equal(("A2", null), (pair.Response, pair.Turns));
    }

    private async Task<DataJobView> ImportAsync(string fileName, string content, string name)
    {
        var staged = await _engineer.PostAsync("/api/datasets/uploads", TestData.Upload(fileName, content));
        Assert.Equal(HttpStatusCode.Created, staged.StatusCode);
        var uploadId = (await staged.Content.ReadFromJsonAsync<StagedUploadView>(Json))!.Id;
        var response = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId, name });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await WaitAsync((await response.Content.ReadFromJsonAsync<DataJobView>(Json))!.Id);
    }

    private async Task<DataJobView> WaitAsync(int id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = (await _engineer.GetFromJsonAsync<DataJobView>($"/api/datasets/jobs/{id}", Json))!;
            if (!job.IsActive)
            {
                Assert.True(job.Status == DataJobStatus.Succeeded, string.Join("; ", job.Errors.Select(e => e.ToString())));
                return job;
            }
            Assert.True(DateTime.UtcNow < deadline, $"data job {id} still {job.Status} after 60 s");
            await Task.Delay(100);
        }
    }
}
