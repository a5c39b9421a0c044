using DeepSeek.Portal.Options;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Datasets;

/// <summary>Datasets: import, listing, preview and the demo workspace's dataset.</summary>
public static class DatasetsFeature
{
    public static IHostApplicationBuilder AddPortalDatasets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<DatasetService>();
        builder.Services.AddHostedService<DemoWorkspaceStartup>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalDatasets(this IEndpointRouteBuilder app) => app.MapDatasetEndpoints();

    /// <summary>Seeds the bilingual demo dataset on first start (Portal:SeedDemoWorkspace).</summary>
    private sealed class DemoWorkspaceStartup(IServiceScopeFactory scopes, IOptions<PortalOptions> options) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            if (!options.Value.SeedDemoWorkspace)
                return;
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DatasetService>().EnsureDemoAsync(ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
