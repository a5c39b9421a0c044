namespace DeepSeek.Portal.Planning.Planner;

/// <summary>Services and endpoints of the deployment planner.</summary>
public static class PlannerRegistration
{
    public static IHostApplicationBuilder AddPlanner(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<PlannerOptions>(builder.Configuration.GetSection(PlannerOptions.Section));
        // The CPU's bandwidth is measured once per process; the machine check keeps its result for the process.
        builder.Services.AddSingleton<CpuDevice>();
        builder.Services.AddSingleton<MachineCheck>();
        builder.Services.AddScoped<IPlannerModelSource, RegisteredModelSource>();
        builder.Services.AddScoped<PlannerService>();
        builder.Services.AddScoped<ServedModelEndpoints>();
        builder.Services.AddScoped<TrainingBundleService>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPlannerEndpoints(this IEndpointRouteBuilder app)
    {
        PlannerEndpoints.Map(app);
        return app;
    }
}
