using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Components;
using DeepSeek.Portal.Options;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.FileProviders;
using MudBlazor.Services;

namespace DeepSeek.Portal.Platform;

public static class PortalHostingExtensions
{
    /// <summary>
    /// Settings: appsettings.json, then in Development the repository's appsettings.Development.json; environment variables
    /// and arguments win over every file. The web host and the command line (<c>data …</c>, a generic host) share it.
    /// </summary>
    public static TBuilder AddPortalConfiguration<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (builder.Environment.IsDevelopment())
        {
            // `dotnet run --project src/DeepSeek.Portal` has the project folder as content root; the file lives two levels up.
            // Environment variables and command-line arguments still override both files.
            builder.Configuration.AddJsonFilesBeforeOverrides(
                Path.Combine(builder.Environment.ContentRootPath, "..", "..", "appsettings.Development.json"),
                Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"));
        }
        builder.Services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // Resolved once at start: the scheduler's job store needs the path before the container is built.
        var dir = builder.Configuration[$"{PortalOptions.Section}:{nameof(PortalOptions.DataDirectory)}"] ?? new PortalOptions().DataDirectory;
        var paths = new DataPaths(Path.IsPathRooted(dir) ? dir : Path.Combine(builder.Environment.ContentRootPath, dir));
        paths.EnsureCreated();
        builder.Services.AddSingleton(paths);
        // Sign-in cookies and bearer tokens survive restarts and upgrades: keys live with the data.
        builder.Services.AddDataProtection().SetApplicationName("DeepSeek.Portal").PersistKeysToFileSystem(new DirectoryInfo(paths.Keys));
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static WebApplicationBuilder AddPortalUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddPortalComponents();
        // X-Frame-Options is set once for every response by UsePortalPipeline (DENY), not per form by antiforgery.
        builder.Services.AddAntiforgery(o => o.SuppressXFrameOptionsHeader = true);
        builder.Services.AddPortalLocalization();
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
        builder.Services.AddMalformedBodyProblems();
        // Enums travel as names ("Running", "MalformedJson"), not numbers, for people reading the API.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        builder.Services.AddPortalHealthChecks();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<PerCallScope>();
        // Chinese pages stay readable (and smaller) in the HTML source: do not escape CJK as &#x…; entities.
        builder.Services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        return builder;
    }

    /// <summary>The request pipeline every endpoint goes through: errors, security headers, culture, static files, authentication, antiforgery.</summary>
    public static WebApplication UsePortalPipeline(this WebApplication app)
    {
        app.UsePortalEdge();
        app.UseShutdownCutOffForWebSockets();
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        // Inside the exception handler, so an unreadable body is answered here and never reaches /error.
        app.UseMalformedBodyProblems();
        app.UseStatusCodePages(async ctx =>
        {
            // API callers get problem details; pages get the Blazor not-found page (below).
            if (ctx.HttpContext.Request.Path.StartsWithSegments("/api"))
                await Results.Problem(statusCode: ctx.HttpContext.Response.StatusCode).ExecuteAsync(ctx.HttpContext);
        });
        // An unknown URL typed or bookmarked gets the portal's Not Found page inside the layout, in the user's language.
        app.UseStatusCodePagesWithReExecute(NotFoundPage.Path, createScopeForStatusCodePages: true);
        app.Use(NotFoundPage.OnlyForPages);
        app.UseRequestLocalization();
        var assets = Path.Combine(AppContext.BaseDirectory, "assets");
        if (Directory.Exists(assets))
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(assets), RequestPath = "/assets" });
        app.UseAuthentication();
        app.UsePortalAccountProtection();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    /// <summary>The platform's own endpoints (static assets, OpenAPI, health, culture, engine) and the Blazor pages.</summary>
    public static WebApplication MapPortalUi(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapPortalOpenApi();
        app.MapPortalHealth();
        app.MapCultureEndpoint();
        app.MapEngineEndpoints();
        // The portal-wide CSP above already forbids framing; Blazor's own frame-ancestors header would duplicate it.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }
}
