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
                // Only local redirects, never to another site; a redirect that cannot be followed is the caller's mistake, said as such.
                if (redirectUri is { Length: > 0 } && !IsLocalPath(redirectUri))
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unusable redirectUri.",
                        detail: "redirectUri must be a path on this site: it starts with a single \"/\", has no control characters and is at most 2048 characters long.");
                var chosen = Supported.FirstOrDefault(c => string.Equals(c.Name, culture, StringComparison.OrdinalIgnoreCase)) ?? Supported[0];
                http.Response.Cookies.Append(
                    CookieRequestCultureProvider.DefaultCookieName,
                    CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
                    new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
                return Results.LocalRedirect(string.IsNullOrEmpty(redirectUri) ? "/" : redirectUri);
            })
            .AllowAnonymous()
            .WithTags("Platform")
            .WithName("SetCulture")
            .WithSummary("Sets the UI language (en or zh-Hans) in a cookie and redirects back; 400 when redirectUri is not a local path.");
        return app;
    }

    /// <summary>A path on this site: "/x" but not "//host" or "/\\host" (browsers read both as another host), nothing a header cannot carry.</summary>
    public static bool IsLocalPath(string uri) =>
        uri.Length <= 2048
        && uri[0] == '/'
        && (uri.Length == 1 || (uri[1] != '/' && uri[1] != '\\'))
        && !uri.Any(char.IsControl)
        && Uri.TryCreate(uri, UriKind.Relative, out _);
}
