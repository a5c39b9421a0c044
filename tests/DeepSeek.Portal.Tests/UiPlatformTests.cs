using System.Globalization;
using System.Net;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Platform;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>What a user sees that the server decides: the Not Found page, Identity's messages, deletion rules.</summary>
public sealed class UiPlatformTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new(seedDemo: true);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Theory]
    [InlineData("en", "Page not found.")]
    [InlineData("zh-Hans", "页面不存在。")]
    public async Task An_unknown_url_answers_404_with_the_portals_not_found_page_inside_the_layout(string culture, string title)
    {
        var client = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no/such/page");
        request.Headers.Add("Cookie", $".AspNetCore.Culture=c={culture}|uic={culture}");
        request.Headers.Accept.ParseAdd("text/html");
        var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(title, html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"not-found\"", html, StringComparison.Ordinal);
        Assert.Contains("<main", html, StringComparison.Ordinal); // the layout, not a bare page
        Assert.Contains($"lang=\"{culture}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_api_url_still_answers_problem_details_not_the_page()
    {
        var client = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
        var response = await client.GetAsync("/api/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Password_rules_are_explained_in_the_users_language()
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("zh-Hans");
            var result = await accounts.CreateUserAsync("short@test.local", "abc", PortalRoles.Manager);
            Assert.False(result.Succeeded);
            Assert.Contains("密码至少需要 10 个字符。", result.Errors);
            Assert.DoesNotContain(result.Errors, e => e.Contains("Passwords must", StringComparison.Ordinal));
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public async Task A_dataset_no_run_used_is_deleted_with_its_file()
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var datasets = scope.ServiceProvider.GetRequiredService<DatasetService>();
        await using var content = new MemoryStream("{\"text\":\"删除我\"}\n{\"text\":\"delete me\"}\n"u8.ToArray());
        var imported = await datasets.ImportAsync(content, "to-delete.jsonl", null, null, "test", CancellationToken.None);
        Assert.True(imported.Succeeded);
        var file = Path.Combine(_portal.DataDirectory, "datasets", imported.Dataset!.Sha256 + ".jsonl");
        Assert.True(File.Exists(file));

        Assert.Equal(RemovalOutcome.Deleted, await datasets.DeleteAsync(imported.Dataset.Id, CancellationToken.None));
        Assert.Null(await datasets.GetAsync(imported.Dataset.Id, CancellationToken.None));
        Assert.False(File.Exists(file));
        Assert.Equal(RemovalOutcome.NotFound, await datasets.DeleteAsync(imported.Dataset.Id, CancellationToken.None));
    }

    [Fact]
    public async Task A_queued_run_is_not_deleted_and_a_finished_one_is_deleted_with_its_metrics_and_folder()
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var runs = scope.ServiceProvider.GetRequiredService<RunService>();
        var datasets = scope.ServiceProvider.GetRequiredService<DatasetService>();
        var demo = (await datasets.ListAsync(CancellationToken.None)).First(d => d.IsDemo);
        var launched = await runs.LaunchAsync(new RunLaunchRequest { DatasetId = demo.Id, Steps = 2000 }, "test", CancellationToken.None);
        Assert.True(launched.Succeeded);

        Assert.Equal(RemovalOutcome.Refused, await runs.DeleteAsync(launched.Run!.Id, CancellationToken.None));
        Assert.NotNull(await runs.GetAsync(launched.Run.Id, CancellationToken.None));
        // A dataset a run used is kept for it (archived once Dataset.ArchivedAt exists).
        Assert.NotEqual(RemovalOutcome.Deleted, await datasets.DeleteAsync(demo.Id, CancellationToken.None));

        await runs.CancelAsync(launched.Run.Id, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while ((await runs.GetAsync(launched.Run.Id, timeout.Token))!.IsActive)
            await Task.Delay(100, timeout.Token);
        // The job may still be releasing the engine slot (and its folder) just after the status says Cancelled.
        RemovalOutcome outcome;
        while ((outcome = await runs.DeleteAsync(launched.Run.Id, timeout.Token)) == RemovalOutcome.Refused)
            await Task.Delay(100, timeout.Token);
        Assert.Equal(RemovalOutcome.Deleted, outcome);
        Assert.Null(await runs.GetAsync(launched.Run.Id, CancellationToken.None));
        Assert.Empty(await runs.GetPointsAsync(launched.Run.Id, 0, CancellationToken.None));
        Assert.False(Directory.Exists(Path.Combine(_portal.DataDirectory, "runs", launched.Run.Id.ToString(CultureInfo.InvariantCulture))));
    }
}
