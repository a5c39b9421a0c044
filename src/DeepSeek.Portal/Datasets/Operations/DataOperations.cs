using DeepSeek.Portal.Datasets.Jobs;

namespace DeepSeek.Portal.Datasets.Operations;

public static class DataOperations
{
    /// <summary>Registers every transformation a data job can run.</summary>
    public static IServiceCollection AddDataOperations(this IServiceCollection services)
    {
        services.AddSingleton<IDataOperation, FilterOperation>();
        services.AddScoped<IDataOperation, ScoreOperation>();
        services.AddSingleton<IDataOperation, DedupOperation>();
        services.AddSingleton<IDataOperation, MaskOperation>();
        services.AddSingleton<IDataOperation, PreprocessOperation>();
        services.AddScoped<IDataOperation, ComposeOperation>();
        return services;
    }
}
