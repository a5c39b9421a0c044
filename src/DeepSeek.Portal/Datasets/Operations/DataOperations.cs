using DeepSeek.Portal.Datasets.Jobs;

namespace DeepSeek.Portal.Datasets.Operations;

/// <summary>The registration of the data operations.</summary>
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
        services.AddScoped<IDataOperation, MixOperation>();
        return services;
    }
}
