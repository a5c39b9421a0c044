using DeepSeek.Portal.Models.Generation;

namespace DeepSeek.Portal.Models;

/// <summary>Registered models: folders inside the configured roots, their cards, and generation from them.</summary>
public static class ModelsFeature
{
    public static IHostApplicationBuilder AddPortalModels(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ModelRegistryOptions>().BindConfiguration(ModelRegistryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ModelRoots>();
        services.AddScoped<ModelService>();
        services.AddScoped<GenerationSources>();
        // Singleton: it holds the one-generation-per-model rule.
        services.AddSingleton<ModelGenerator>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalModels(this IEndpointRouteBuilder app)
    {
        app.MapModelEndpoints();
        app.MapGenerationEndpoints();
        return app;
    }
}
