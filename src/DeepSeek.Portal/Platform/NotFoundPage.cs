namespace DeepSeek.Portal.Platform;

/// <summary>Which failed requests are answered with the portal's Not Found page.</summary>
/// <remarks>
/// Only page navigations (GET outside the API, hub, account, culture, health and asset paths): those fail only
/// with 404 (authorisation redirects to sign-in), so the page never hides another status such as a 400 from an
/// endpoint. The status code itself is kept.
/// </remarks>
public static class NotFoundPage
{
    public const string Path = "/not-found";

    private static readonly string[] NotPages = ["/api", "/hubs", "/account", "/culture", "/health", "/openapi", "/_framework", "/_blazor", "/_content"];

    /// <summary>
    /// Turns the re-execution off for everything but page navigations. It runs right after the re-executing
    /// middleware, whose feature it switches off; the API's problem-details handler further out keeps its own.
    /// </summary>
    public static Task OnlyForPages(HttpContext context, RequestDelegate next)
    {
        if (!Applies(context) && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } feature)
            feature.Enabled = false;
        return next(context);
    }

    public static bool Applies(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && !NotPages.Any(p => context.Request.Path.StartsWithSegments(p));
}
