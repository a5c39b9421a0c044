namespace DeepSeek.Portal.Platform;

/// <summary>
/// Ends the long-lived connections of Blazor circuits and the runs hub a short grace period after shutdown begins. A browser
/// that vanished without closing (lost network, killed tab) never answers SignalR's close, and Kestrel would otherwise
/// wait for it until the host's shutdown timeout (30 s). Healthy clients get their close within the grace period.
/// </summary>
public static class LongLivedConnections
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    public static IApplicationBuilder UseShutdownCutOffForWebSockets(this IApplicationBuilder app)
    {
        var stopping = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        return app.Use(async (context, next) =>
        {
            // The WebSocket middleware runs later, inside SignalR's own branch: tell the connections apart by path.
            if (!IsLongLived(context.Request))
            {
                await next(context);
                return;
            }
            using var cutOff = stopping.Register(() => _ = AbortAfterGraceAsync(context));
            await next(context);
        });
    }

    private static bool IsLongLived(HttpRequest request) =>
        request.Path.StartsWithSegments("/_blazor") || request.Path.StartsWithSegments("/hubs");

    private static async Task AbortAfterGraceAsync(HttpContext context)
    {
        await Task.Delay(Grace);
        // Still open after the grace period: the other side is not answering.
        if (!context.RequestAborted.IsCancellationRequested)
            context.Abort();
    }
}
