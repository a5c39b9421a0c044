using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Tests;

internal static class TestData
{
    /// <summary>A run row as the launch path stores it (settings written whole by <see cref="TrainingRunSettings.Apply"/>).</summary>
    public static Data.TrainingRun StoredRun(string name, Data.RunStatus status, int steps = 200)
    {
        var run = new Data.TrainingRun { Name = name, Status = status, Settings = "", CreatedAt = DateTimeOffset.UtcNow };
        run.Apply(new Engine.Training.TrainingOptions { Steps = steps });
        return run;
    }

    /// <summary>A small bilingual JSONL file the tiny model can learn from quickly.</summary>
    public static string BilingualJsonl(int records = 120)
    {
        var sb = new StringBuilder();
        string[] names = ["张伟", "李娜", "王芳", "Emma", "Oliver", "Chen"];
        for (var i = 0; i < records; i++)
        {
            var name = names[i % names.Length];
            var text = i % 2 == 0
                ? $"客户：{name}的账户余额是多少？\n客服：您好，{name}，您的余额为{100 + i * 7}元。"
                : $"Customer: What is the balance of {name}?\nAgent: Hello {name}, your balance is {100 + i * 7} yuan.";
            sb.Append(System.Text.Json.JsonSerializer.Serialize(new { text })).Append('\n');
        }
        return sb.ToString();
    }

    public static MultipartFormDataContent Upload(string fileName, string content, string? name = null) =>
        Upload(fileName, Encoding.UTF8.GetBytes(content), name);

    public static MultipartFormDataContent Upload(string fileName, byte[] content, string? name = null)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        if (name is not null)
            form.Add(new StringContent(name), "name");
        return form;
    }

    public static async Task<DatasetSummary> UploadDatasetAsync(HttpClient client, string name, int records = 120)
    {
        var response = await client.PostAsync("/api/datasets", Upload($"{name}.jsonl", BilingualJsonl(records), name));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DatasetSummary>())!;
    }

    public static async Task<RunSummary> WaitForRunAsync(HttpClient client, int runId, Func<RunSummary, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        RunSummary? run = null;
        while (DateTime.UtcNow < deadline)
        {
            run = await client.GetFromJsonAsync<RunSummary>($"/api/runs/{runId}");
            if (run is not null && condition(run))
                return run;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Run {runId} did not reach the expected state; last seen: {run}");
    }
}
