namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>Services, start-up work and endpoints of the roadmap.</summary>
public static class RoadmapRegistration
{
    public static IHostApplicationBuilder AddRoadmap(this IHostApplicationBuilder builder)
    {
        // Filled by the roadmap backend: IRoadmapService, the gate observer, the default roadmap at first start.
        return builder;
    }

    public static IEndpointRouteBuilder MapRoadmapEndpoints(this IEndpointRouteBuilder app)
    {
        return app;
    }
}
