using Bunit;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Models.Pages;
using DeepSeek.Portal.Platform;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests.Components;

/// <summary>The Models page over a real SQLite database and real folders: the register form's refusals and a registration, in Chinese.</summary>
public sealed class ModelsPageTests : ComponentTestContext, IDisposable
{
    private readonly string _data = PortalFactory.NewDataDirectory();

    public ModelsPageTests() : base("zh-Hans")
    {
        var paths = new DataPaths(_data);
        paths.EnsureCreated();
        Context.Services.AddSingleton(paths);
        Context.Services.AddPortalDatabase();
        Context.Services.AddOptions<ModelRegistryOptions>();
        Context.Services.AddSingleton<ModelRoots>();
        Context.Services.AddScoped<ModelService>();
        Context.Services.AddSingleton<PerCallScope>();
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("engineer@test.local");
        auth.SetPolicies(PortalPolicies.Read, PortalPolicies.Launch);
    }

    public void Dispose() => PortalFactory.DeleteDataDirectory(_data);

    [Fact]
    public async Task The_form_says_why_a_folder_is_refused_and_lists_a_registered_one_with_its_card_numbers()
    {
        using (var scope = Context.Services.CreateScope())
            await PortalDatabase.PrepareAsync(scope.ServiceProvider.GetRequiredService<PortalDbContext>(), CancellationToken.None);
        var page = Context.Render<ModelsPage>();
        page.WaitForAssertion(() => Assert.Contains("尚未注册任何模型", page.Markup, StringComparison.Ordinal));

        await page.Find("input[data-testid=model-path]").ChangeAsync(new ChangeEventArgs { Value = "../elsewhere" });
        await page.Find("[data-testid=register-model]").ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Contains("该文件夹不在允许的模型根目录内", page.Find("[data-testid=register-error]").TextContent, StringComparison.Ordinal));

        long total = TinyModelFolders.Write(Path.Combine(_data, "models", "qwen"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        await page.Find("input[data-testid=model-path]").ChangeAsync(new ChangeEventArgs { Value = "qwen" });
        await page.Find("[data-testid=register-model]").ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => Assert.Equal("qwen", page.Find("[data-testid=model-link]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=register-error]"));
        Assert.Contains(ModelCardView.Count(total), page.Find("[data-testid=models-table]").TextContent, StringComparison.Ordinal);

        using var check = Context.Services.CreateScope();
        var row = await check.ServiceProvider.GetRequiredService<PortalDbContext>().Models.SingleAsync();
        Assert.Equal("engineer@test.local", row.RegisteredBy);
    }
}
