using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Engine.Devices;

namespace DeepSeek.Portal.Platform;

public static class EngineEndpoints
{
    public static IEndpointRouteBuilder MapEngineEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/engine", () => TypedResults.Ok(EngineDevice.Current))
            .RequireAuthorization(PortalPolicies.Read)
            .WithTags("Engine")
            .WithName("GetEngine")
            .WithSummary("The device the training engine uses (cuda when a GPU is visible, else cpu).");
        return app;
    }
}
