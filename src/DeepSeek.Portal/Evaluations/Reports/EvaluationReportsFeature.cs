using DeepSeek.Portal.Accounts;

namespace DeepSeek.Portal.Evaluations.Reports;

/// <summary>Evaluation dashboards, comparisons, stakeholder reports and exports, metric targets and text explanations.</summary>
public static class EvaluationReportsFeature
{
    /// <summary>Who may change metric targets: engineers and admins (who run evaluations) and managers (who own the goals).</summary>
    public const string EditTargetsPolicy = "portal.targets";

    public static IHostApplicationBuilder AddPortalEvaluationReports(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthorizationBuilder()
            .AddPolicy(EditTargetsPolicy, p => p.RequireRole(PortalRoles.Admin, PortalRoles.Engineer, PortalRoles.Manager));
        services.AddScoped<MetricTargetService>();
        services.AddScoped<EvaluationReadService>();
        services.AddScoped<ReportText>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalEvaluationReports(this IEndpointRouteBuilder app)
    {
        app.MapReportEndpoints();
        return app;
    }
}
