using System.Security.Claims;
using DeepSeek.Portal.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Accounts;

/// <summary>
/// Decides whether a signed-in principal (cookie, bearer token or Blazor circuit) still belongs to an existing, enabled
/// user whose security stamp has not changed. Bearer tokens are self-contained and would otherwise stay valid for
/// their whole lifetime after the user is deleted; the stamp in the token is what ties them back to the user store.
/// </summary>
public sealed class SessionGuard(IServiceScopeFactory scopes, IMemoryCache cache, IOptions<SecurityOptions> options, IOptions<IdentityOptions> identity, TimeProvider clock)
{
    private sealed record StoredUser(string SecurityStamp, bool Disabled);

    /// <summary>True when the principal's user exists, is not disabled and carries the current security stamp.</summary>
    public async Task<bool> IsValidAsync(ClaimsPrincipal principal, CancellationToken ct)
    {
        var claims = identity.Value.ClaimsIdentity;
        var id = principal.FindFirstValue(claims.UserIdClaimType);
        var stamp = principal.FindFirstValue(claims.SecurityStampClaimType);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(stamp))
            return false;
        var stored = await LookUpAsync(id, ct);
        return stored is { Disabled: false } && string.Equals(stored.SecurityStamp, stamp, StringComparison.Ordinal);
    }

    /// <summary>Drops the cached state of a user this node has just changed, so the change applies here at the next request.</summary>
    public void Forget(string userId) => cache.Remove(Key(userId));

    private async Task<StoredUser?> LookUpAsync(string id, CancellationToken ct)
    {
        if (cache.TryGetValue(Key(id), out StoredUser? cached))
            return cached;
        StoredUser? stored;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var user = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByIdAsync(id);
            ct.ThrowIfCancellationRequested();
            stored = user is null ? null : new StoredUser(user.SecurityStamp ?? "", UserStatus.IsDisabled(user, clock));
        }
        // A deleted user is cached as null too: a flood of requests with a dead token does not reach the database each time.
        var ttl = options.Value.SessionRevalidation;
        if (ttl > TimeSpan.Zero)
            cache.Set(Key(id), stored, ttl);
        return stored;
    }

    private static string Key(string userId) => "session-guard:" + userId;
}

/// <summary>Whether a user is disabled: Identity's lockout set to the end of time (a failed password never locks here).</summary>
public static class UserStatus
{
    public static readonly DateTimeOffset DisabledUntil = DateTimeOffset.MaxValue;

    public static bool IsDisabled(PortalUser user, TimeProvider clock) =>
        user.LockoutEnd is { } end && end > clock.GetUtcNow().AddYears(100);
}

/// <summary>Blazor circuits live longer than any request: re-check the user as often as requests are checked.</summary>
public sealed class RevalidatingPortalAuthenticationStateProvider(ILoggerFactory loggerFactory, SessionGuard guard, IOptions<SecurityOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    // A zero interval (tests) would spin; a few seconds is still well inside the one-minute promise.
    protected override TimeSpan RevalidationInterval =>
        options.Value.SessionRevalidation < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : options.Value.SessionRevalidation;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        authenticationState.User.Identity?.IsAuthenticated == true
            ? guard.IsValidAsync(authenticationState.User, cancellationToken)
            : Task.FromResult(true);
}

public static class SessionGuardMiddleware
{
    /// <summary>After authentication: a principal whose user is gone, disabled or re-stamped becomes anonymous (and loses its cookie).</summary>
    public static IApplicationBuilder UsePortalSessionGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.Identity?.IsAuthenticated == true
            && !await context.RequestServices.GetRequiredService<SessionGuard>().IsValidAsync(context.User, context.RequestAborted))
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity());
            if (!PortalAuthentication.IsBearerRequest(context.Request))
                await context.SignOutAsync(IdentityConstants.ApplicationScheme);
        }
        await next(context);
    });
}
