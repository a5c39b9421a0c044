using Bunit;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Evaluations.Pages;
using DeepSeek.Portal.Tests.Components;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests.Evaluations;

/// <summary>The evaluation pages over the real portal's services (database, scheduler, live feed), in Chinese.</summary>
public sealed class EvaluationPagesTests() : ComponentTestContext("zh-Hans"), IDisposable
{
    private readonly PortalFactory _portal = new();

    private void Use(params string[] policies)
    {
        Context.Services.AddFallbackServiceProvider(_portal.Services);
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("someone@test.local");
        auth.SetPolicies(policies);
    }

    private async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    // After the bUnit context (xunit disposes IAsyncLifetime first): the pages' services live until then.
    public void Dispose() => _portal.Dispose();

    [Fact]
    public void Readers_see_the_list_but_no_launch_form_or_management()
    {
        Use(PortalPolicies.Read);
        var page = Context.Render<EvaluationsPage>();
        page.WaitForAssertion(() => Assert.Contains("还没有评估", page.Find("[data-testid=evaluations-table]").TextContent, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("[data-testid=evaluation-launch]"));
        Assert.Empty(page.FindAll("[data-testid=suite-upload]"));
        Assert.Empty(page.FindAll("[data-testid=save-endpoint]"));
        Assert.Empty(page.FindAll("[data-testid=save-schedule]"));
        Assert.NotEmpty(page.FindAll("[data-testid=endpoints-table]"));
    }

    [Fact]
    public async Task Engineers_get_the_forms_and_a_failed_evaluation_shows_why()
    {
        Use(PortalPolicies.Read, PortalPolicies.Launch);
        var page = Context.Render<EvaluationsPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=launch-evaluation]")));
        Assert.NotEmpty(page.FindAll("[data-testid=suite-upload]"));
        Assert.Contains("API 密钥", page.Find("[data-testid=endpoints-panel]").TextContent, StringComparison.Ordinal);

        // A stored failed evaluation with one failed item: the detail page shows the error, the status and the item.
        var id = await WithDbAsync(async db =>
        {
            var e = new EvaluationRun
            {
                Name = "页面测试", SuiteVersionId = 1, TargetKind = EvaluationTargetKind.Endpoint, TargetEndpointId = 9, TargetLabel = "vllm · m",
                Settings = "{}", Status = EvaluationStatus.Failed, ItemsTotal = 1, ItemsDone = 1, ItemsFailed = 1, Error = "Every item failed: The endpoint refused the API key.",
                CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Evaluations.Add(e);
            await db.SaveChangesAsync();
            db.EvaluationItems.Add(new EvaluationItemResult { EvaluationId = e.Id, ItemId = "g1", Slice = "domain", Kind = "generation", Input = "你好", References = "[\"hello\"]", Error = "Unauthorized: The endpoint refused the API key." });
            await db.SaveChangesAsync();
            return e.Id;
        });
        var detail = Context.Render<EvaluationDetailPage>(p => p.Add(x => x.Id, id));
        detail.WaitForAssertion(() => Assert.Contains("refused the API key", detail.Find("[data-testid=evaluation-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains("失败", detail.Find("[data-testid=evaluation-status]").TextContent, StringComparison.Ordinal);
        Assert.Contains("你好", detail.Find("[data-testid=item-row]").TextContent, StringComparison.Ordinal);
        Assert.Empty(detail.FindAll("[data-testid=cancel-evaluation]"));
    }

    [Fact]
    public async Task The_endpoint_form_shows_field_errors_and_never_shows_a_stored_key()
    {
        Use(PortalPolicies.Read, PortalPolicies.Launch);
        var panel = Context.Render<EndpointsPanel>();
        await panel.Find("input[data-testid=endpoint-name]").ChangeAsync(new ChangeEventArgs { Value = "本地 vLLM" });
        await panel.Find("input[data-testid=endpoint-url]").ChangeAsync(new ChangeEventArgs { Value = "ftp://10.0.0.5/v1" });
        await panel.Find("input[data-testid=endpoint-model]").ChangeAsync(new ChangeEventArgs { Value = "deepseek-v3" });
        await panel.Find("input[data-testid=endpoint-key]").ChangeAsync(new ChangeEventArgs { Value = "sk-page-secret-42" });
        await panel.Find("[data-testid=save-endpoint]").ClickAsync(new MouseEventArgs());
        // The registry words its refusal in the page's language.
        panel.WaitForAssertion(() => Assert.Contains("基础 URL 必须是完整的 http 或 https 地址", panel.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain("sk-page-secret-42", panel.Markup, StringComparison.Ordinal);

        await panel.Find("input[data-testid=endpoint-url]").ChangeAsync(new ChangeEventArgs { Value = "http://10.0.0.5:8000/v1" });
        await panel.Find("input[data-testid=endpoint-key]").ChangeAsync(new ChangeEventArgs { Value = "sk-page-secret-42" });
        await panel.Find("[data-testid=save-endpoint]").ClickAsync(new MouseEventArgs());
        panel.WaitForAssertion(() => Assert.Contains("已保存", panel.Find("[data-testid=endpoints-table]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("sk-page-secret-42", panel.Markup, StringComparison.Ordinal);

        // Changing it shows every field but the key, which stays stored when left empty.
        await panel.Find("[data-testid=edit-endpoint]").ClickAsync(new MouseEventArgs());
        Assert.Equal("", panel.Find("input[data-testid=endpoint-key]").GetAttribute("value") ?? "");
        Assert.Contains("留空则保留", panel.Markup, StringComparison.Ordinal);
        await panel.Find("[data-testid=save-endpoint]").ClickAsync(new MouseEventArgs());
        panel.WaitForAssertion(() => Assert.Contains("已保存", panel.Find("[data-testid=endpoints-table]").TextContent, StringComparison.Ordinal));
        var stored = await WithDbAsync(db => db.EvaluationEndpoints.AsNoTracking().SingleAsync());
        Assert.NotNull(stored.ProtectedKey);
    }
}
