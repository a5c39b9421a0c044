using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Components.Shared;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DeepSeek.Portal.Components;

public static class ComponentServices
{
    /// <summary>What the pages need besides MudBlazor: the browser's time zone per circuit, and Identity's messages in the user's language.</summary>
    public static IServiceCollection AddPortalComponents(this IServiceCollection services)
    {
        services.TryAddScoped<BrowserClock>();
        services.Replace(ServiceDescriptor.Transient<MudBlazor.MudLocalizer, PortalMudLocalizer>());
        // Replaces Identity's English describer whichever of AddIdentityCore and this runs first (Identity uses TryAdd).
        services.Replace(ServiceDescriptor.Scoped<IdentityErrorDescriber, LocalizedIdentityErrorDescriber>());
        return services;
    }
}
