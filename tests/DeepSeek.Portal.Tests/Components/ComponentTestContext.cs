using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace DeepSeek.Portal.Tests.Components;

/// <summary>bUnit context with MudBlazor and the portal's string resources.</summary>
public abstract class ComponentTestContext : IAsyncLifetime
{
    protected BunitContext Context { get; } = new();

    protected ComponentTestContext(string culture = "en")
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
        Context.Services.AddMudServices();
        Context.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        Context.Services.AddScoped<DeepSeek.Portal.Components.Shared.BrowserClock>();
        Context.Services.AddSingleton(TimeProvider.System);
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's popover service is only IAsyncDisposable.
    public async Task DisposeAsync() => await Context.DisposeAsync();
}
