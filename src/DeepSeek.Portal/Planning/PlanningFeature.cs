using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Planning.Planner;
using DeepSeek.Portal.Planning.Roadmap;

namespace DeepSeek.Portal.Planning;

/// <summary>
/// Planning: the deployment planner (hardware estimates, launch files for vLLM/SGLang and multi-node training) and the
/// rollout roadmap managers own (phases, milestones, KPI gates bound to live evaluations).
/// </summary>
public static class PlanningFeature
{
    /// <summary>Who may edit the roadmap: managers (who own it) and admins. Everyone else reads it.</summary>
    public const string EditRoadmapPolicy = "portal.roadmap";

    public static IHostApplicationBuilder AddPortalPlanning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(EditRoadmapPolicy, p => p.RequireRole(PortalRoles.Admin, PortalRoles.Manager));
        builder.AddRoadmap();
        builder.AddPlanner();
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalPlanning(this IEndpointRouteBuilder app)
    {
        app.MapRoadmapEndpoints();
        app.MapPlannerEndpoints();
        return app;
    }
}
