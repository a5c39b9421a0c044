using DeepSeek.Portal.Options;
using Microsoft.Extensions.Options;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Evaluations.Feedback;
using DeepSeek.Portal.Evaluations.Schedules;
using DeepSeek.Portal.Evaluations.Suites;
using DeepSeek.Portal.Evaluations.Targets;
using DeepSeek.Portal.Platform;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Evaluations;

/// <summary>
/// Evaluations: suites (uploaded suite files and any dataset version), targets (the built-in engine, OpenAI-compatible
/// endpoints), the Quartz job with live progress, schedules, feedback import, and their pages.
/// </summary>
public static class EvaluationsFeature
{
    public static IHostApplicationBuilder AddPortalEvaluations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<EvaluationSupervisor>();
        services.AddSingleton<EvaluationLiveFeed>();
        services.AddSingleton<DatabaseOutputCache>();
        services.AddOptions<EndpointCallOptions>().BindConfiguration(EndpointCallOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IEndpointTargets, OpenAiEndpointTargets>();
        services.AddScoped<EvaluationSuites>();
        services.AddScoped<EvaluationService>();
        services.AddScoped<EvaluationTargets>();
        services.AddScoped<EndpointRegistry>();
        services.AddScoped<ScheduleService>();
        services.AddScoped<FeedbackService>();
        // Endpoint probes follow no redirects: a key must never be sent on to another host.
        services.AddHttpClient(EndpointRegistry.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddSignalR();
        services.AddHostedService<InterruptedEvaluationsStartup>();
        services.AddHostedService<DemoSuiteStartup>();
        // One evaluation at a time per node: an engine evaluation holds a model in memory, and endpoint evaluations
        // bound their own concurrency.
        builder.AddExecutionLimit(EvaluationJob.ExecutionGroup, 1);
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalEvaluations(this IEndpointRouteBuilder app)
    {
        app.MapEvaluationEndpoints();
        app.MapScheduleEndpoints();
        app.MapFeedbackEndpoints();
        app.MapHub<EvaluationsHub>(EvaluationsHub.Path);
        return app;
    }

    /// <summary>Re-queues evaluations a restart interrupted (their stored items are skipped) and re-creates the schedules' triggers.</summary>
    private sealed class InterruptedEvaluationsStartup(IServiceScopeFactory scopes, ILogger<InterruptedEvaluationsStartup> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            await db.Evaluations.Where(e => e.Status == EvaluationStatus.Running).ExecuteUpdateAsync(u => u.SetProperty(e => e.Status, EvaluationStatus.Queued), ct);
            var evaluations = scope.ServiceProvider.GetRequiredService<EvaluationService>();
            var queued = await db.Evaluations.Where(e => e.Status == EvaluationStatus.Queued).Select(e => e.Id).ToListAsync(ct);
            foreach (var id in queued)
                await evaluations.ScheduleAsync(id, ct);
            if (queued.Count > 0)
                logger.LogInformation("Re-queued {Count} interrupted evaluation(s): {Evaluations}", queued.Count, queued);
            await scope.ServiceProvider.GetRequiredService<ScheduleService>().SyncTriggersAsync(ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>Stores the demo workspace's evaluation suite on first start (Portal:SeedDemoWorkspace), after the demo datasets.</summary>
    private sealed class DemoSuiteStartup(IServiceScopeFactory scopes, IOptions<PortalOptions> options) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            if (!options.Value.SeedDemoWorkspace)
                return;
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<EvaluationSuites>().EnsureDemoAsync(ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
