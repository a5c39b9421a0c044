using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace DeepSeek.Portal.Platform;

/// <summary>The UI languages: English and Simplified Chinese. The choice is kept in the standard culture cookie.</summary>
public static class PortalCultures
{
    public static readonly IReadOnlyList<CultureInfo> Supported = [new("en"), new("zh-Hans")];

    public static IServiceCollection AddPortalLocalization(this IServiceCollection services)
    {
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        services.Configure<RequestLocalizationOptions>(o =>
        {
            o.DefaultRequestCulture = new RequestCulture("en");
            o.SupportedCultures = [.. Supported];
            o.SupportedUICultures = [.. Supported];
            o.FallBackToParentUICultures = true;
            // zh-CN / zh-SG browsers map to Simplified Chinese.
            o.RequestCultureProviders.Insert(0, new CookieRequestCultureProvider());
        });
        return services;
    }

    public static IEndpointRouteBuilder MapCultureEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/culture/set", (string culture, string? redirectUri, HttpContext http) =>
            {
                var chosen = Supported.FirstOrDefault(c => string.Equals(c.Name, culture, StringComparison.OrdinalIgnoreCase)) ?? Supported[0];
                http.Response.Cookies.Append(
                    CookieRequestCultureProvider.DefaultCookieName,
                    CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
                    new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
                // Only local redirects: never bounce the user to another site.
                var target = !string.IsNullOrEmpty(redirectUri) && redirectUri.StartsWith('/') && !redirectUri.StartsWith("//", StringComparison.Ordinal) ? redirectUri : "/";
                return Results.LocalRedirect(target);
            })
            .AllowAnonymous()
            .WithTags("Platform")
            .WithName("SetCulture")
            .WithSummary("Sets the UI language (en or zh-Hans) in a cookie and redirects back.");
        return app;
    }
}
