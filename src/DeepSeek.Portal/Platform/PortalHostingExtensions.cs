using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Components;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Options;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.FileProviders;
using MudBlazor.Services;
using Quartz;

namespace DeepSeek.Portal.Platform;

public static class PortalHostingExtensions
{
    /// <summary>Settings: appsettings.json, then in Development the repository's appsettings.Development.json.</summary>
    public static WebApplicationBuilder AddPortalConfiguration(this WebApplicationBuilder builder)
    {
        if (builder.Environment.IsDevelopment())
        {
            // `dotnet run --project src/DeepSeek.Portal` has the project folder as content root; the file lives two levels up.
            builder.Configuration.AddJsonFile(Path.Combine(builder.Environment.ContentRootPath, "..", "..", "appsettings.Development.json"), optional: true, reloadOnChange: false);
            builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"), optional: true, reloadOnChange: false);
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

    public static WebApplicationBuilder AddPortalData(this WebApplicationBuilder builder)
    {
        builder.Services.AddDbContext<PortalDbContext>((sp, o) =>
            o.UseSqlite($"Data Source={sp.GetRequiredService<DataPaths>().Database};Default Timeout=30"));
        builder.Services.AddScoped<DatasetService>();
        return builder;
    }

    /// <summary>Training runs: Quartz with a persistent SQLite job store, the engine slot and the live progress pipeline.</summary>
    public static WebApplicationBuilder AddPortalTraining(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<RunSupervisor>();
        services.AddSingleton<RunLiveFeed>();
        services.AddSingleton<RunProgressPublisher>();
        services.AddScoped<RunService>();
        services.AddSignalR();

        // Order matters: hosted services start in this order and stop in reverse, so the schema and accounts exist
        // before jobs fire, and the progress publisher outlives the jobs that report to it.
        services.AddHostedService<PortalStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<RunProgressPublisher>());

        var schedulerDb = ((DataPaths)services.Single(d => d.ServiceType == typeof(DataPaths)).ImplementationInstance!).Scheduler;
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o => o.InstanceName = "DeepSeekPortal");
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = 4);
            // One training run per node: queued runs wait in the job store, not on a scheduler thread.
            q.UseExecutionLimits(limits => limits.ForGroup(TrainingRunJob.ExecutionGroup, 1));
            q.UsePersistentStore(store =>
            {
                store.UseSqlite($"Data Source={schedulerDb};Default Timeout=30");
                store.UseSystemTextJsonSerializer();
                store.ProvisionSchema();
            });
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return builder;
    }

    public static WebApplicationBuilder AddPortalUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        // X-Frame-Options is set once for every response by MapPortal (DENY), not per form by antiforgery.
        builder.Services.AddAntiforgery(o => o.SuppressXFrameOptionsHeader = true);
        builder.Services.AddPortalLocalization();
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
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

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UsePortalEdge();
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseStatusCodePages(async ctx =>
        {
            // API callers get problem details; pages get the Blazor not-found page.
            if (ctx.HttpContext.Request.Path.StartsWithSegments("/api"))
                await Results.Problem(statusCode: ctx.HttpContext.Response.StatusCode).ExecuteAsync(ctx.HttpContext);
        });
        app.UseRequestLocalization();
        var assets = Path.Combine(AppContext.BaseDirectory, "assets");
        if (Directory.Exists(assets))
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(assets), RequestPath = "/assets" });
        app.UseAuthentication();
        app.UsePortalAccountProtection();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapPortalOpenApi();
        app.MapPortalHealth();
        app.MapCultureEndpoint();
        app.MapAccountEndpoints();
        app.MapDatasetEndpoints();
        app.MapRunEndpoints();
        app.MapEngineEndpoints();
        app.MapHub<RunsHub>(RunsHub.Path);
        // The portal-wide CSP above already forbids framing; Blazor's own frame-ancestors header would duplicate it.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }
}
