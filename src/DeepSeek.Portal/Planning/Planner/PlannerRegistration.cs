namespace DeepSeek.Portal.Planning.Planner;

/// <summary>Services and endpoints of the deployment planner.</summary>
public static class PlannerRegistration
{
    public static IHostApplicationBuilder AddPlanner(this IHostApplicationBuilder builder)
    {
        // Filled by the planner portal work: the planner service, artefact downloads, the machine check.
        return builder;
    }

    public static IEndpointRouteBuilder MapPlannerEndpoints(this IEndpointRouteBuilder app)
    {
        return app;
    }
}
