using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace DeepSeek.Portal.Tests.Components;

/// <summary>bUnit context with MudBlazor and the portal's string resources.</summary>
public abstract class ComponentTestContext : IAsyncLifetime
{
    protected BunitContext Context { get; } = new();

    /// <summary>
    /// Waits are an upper bound, not a delay: pages that load through the real portal services (SQLite, evaluations)
    /// can take longer than bUnit's one-second default while the other test classes load the two cores.
    /// </summary>
    static ComponentTestContext() => BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(30);

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
