using DeepSeek.Portal.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace DeepSeek.Portal.Accounts;

public static class AccountExtensions
{
    private const string SmartScheme = "Portal.Smart";

    /// <summary>Identity with roles, cookie sign-in for the browser and bearer tokens for API automation.</summary>
    public static IHostApplicationBuilder AddPortalAccounts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SmartScheme;
                o.DefaultChallengeScheme = SmartScheme;
            })
            // API clients send "Authorization: Bearer …"; the browser carries the Identity cookie.
            .AddPolicyScheme(SmartScheme, "Cookie or bearer", o => o.ForwardDefaultSelector = ctx =>
                PortalAuthentication.IsBearerRequest(ctx.Request)
                    ? IdentityConstants.BearerScheme
                    : IdentityConstants.ApplicationScheme)
            .AddBearerToken(IdentityConstants.BearerScheme, o =>
            {
                o.BearerTokenExpiration = TimeSpan.FromHours(8);
                // Browsers cannot set headers on WebSocket/SSE requests; SignalR clients send the token as ?access_token= instead.
                o.Events.OnMessageReceived = ctx =>
                {
                    ctx.Token ??= PortalAuthentication.HubAccessToken(ctx.Request);
                    return Task.CompletedTask;
                };
            })
            .AddIdentityCookies();

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.AccessDeniedPath = "/account/denied";
            o.Cookie.Name = "deepseek.portal";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            // Machines get status codes, people get the login page.
            o.Events.OnRedirectToLogin = ctx => RedirectOrStatus(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => RedirectOrStatus(ctx, StatusCodes.Status403Forbidden);
        });

        services.AddIdentityCore<PortalUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                // No lockout on failed passwords (anyone could lock anyone out); SignInLimits throttles guessing instead.
                // Lockout stays enabled per user only as the "disabled" switch (LockoutEnd = max).
                o.Lockout.AllowedForNewUsers = true;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(PortalPolicies.Read, p => p.RequireRole(PortalRoles.All))
            .AddPolicy(PortalPolicies.Launch, p => p.RequireRole(PortalRoles.Admin, PortalRoles.Engineer))
            .AddPolicy(PortalPolicies.Administer, p => p.RequireRole(PortalRoles.Admin));

        services.AddCascadingAuthenticationState();
        services.AddSingleton<SetupGate>();
        services.AddScoped<AccountService>();
        services.AddPortalSessions();
        services.AddPortalSignInLimits();
        services.AddPortalCsrf();
        services.AddHostedService<AccountsStartup>();
        return builder;
    }

    /// <summary>Sign-in, tokens, sign-out and user administration endpoints.</summary>
    public static IEndpointRouteBuilder MapPortalAccounts(this IEndpointRouteBuilder app) => app.MapAccountEndpoints();

    /// <summary>Creates the roles and the first administrator (or opens the setup page) before anyone can sign in.</summary>
    private sealed class AccountsStartup(IServiceScopeFactory scopes) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<AccountService>().InitialiseAsync(ct);
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>
    /// Cutting users off: cookies re-check the security stamp at least every <see cref="SecurityOptions.SessionRevalidation"/>,
    /// every request (cookie or bearer) is checked by <see cref="SessionGuard"/>, and circuits revalidate as often.
    /// </summary>
    private static IServiceCollection AddPortalSessions(this IServiceCollection services)
    {
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddMemoryCache();
        services.AddSingleton<SessionGuard>();
        services.AddScoped<UserAdministration>();
        services.AddOptions<SecurityStampValidatorOptions>().Configure<Microsoft.Extensions.Options.IOptions<SecurityOptions>>((o, security) =>
            o.ValidationInterval = security.Value.SessionRevalidation);
        // Registered before AddInteractiveServerComponents, whose TryAdd then keeps this one.
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, RevalidatingPortalAuthenticationStateProvider>();
        return services;
    }

    /// <summary>Right after UseAuthentication: cut-off users become anonymous, sign-in attempts are rate-limited, forged requests refused.</summary>
    public static IApplicationBuilder UsePortalAccountProtection(this IApplicationBuilder app) =>
        app.UsePortalSessionGuard().UseRateLimiter().UsePortalCsrf();

    private static Task RedirectOrStatus(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        var path = ctx.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/openapi"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}

public static class PortalAuthentication
{
    /// <summary>Requests that authenticate with a bearer token (header, or ?access_token= on the hubs) rather than the cookie.</summary>
    public static bool IsBearerRequest(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || HubAccessToken(request) is not null;

    public static string? HubAccessToken(HttpRequest request) =>
        request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var token) && !string.IsNullOrEmpty(token) ? token.ToString() : null;
}
