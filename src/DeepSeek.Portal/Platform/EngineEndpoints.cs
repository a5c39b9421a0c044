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
            .WithSummary("The device the training engine uses (cuda when a GPU is visible, else cpu), with the measurements behind its settings.")
            .WithDescription("threads: intra-op CPU threads, chosen by timing a training-shaped matmul at 1 … logical-processor threads when the engine started (threadRates: median and slowest repetition in GFLOP/s; a larger count is taken only when its median and its slowest repetition are both at least 1.25× as fast) unless DEEPSEEK_ENGINE_THREADS sets it (threadSource \"variable\"); threadReason says why. precisionRates: fp32, bf16 and fp16 matmul rates on the device and each one's ratio to fp32 — below 1 that precision is slower than fp32 on this host.");
        return app;
    }
}
