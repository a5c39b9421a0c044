using System.Security.Claims;
using DeepSeek.Portal.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace DeepSeek.Portal.Accounts;

public sealed record TokenRequest(string Email, string Password);
public sealed record CurrentUser(string Name, IReadOnlyList<string> Roles, bool CanLaunch, bool IsAdmin);
public sealed record CreateUserRequest(string Email, string Password, string Role, string? DisplayName);

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Accounts");

        auth.MapPost("/token", async Task<Results<EmptyHttpResult, ProblemHttpResult>> (TokenRequest request, PasswordSignIn signIn, HttpContext http) =>
            {
                // The bearer handler writes {tokenType, accessToken, expiresIn, refreshToken} itself.
                var attempt = await signIn.SignInAsync(request.Email, request.Password, persistent: false, IdentityConstants.BearerScheme);
                switch (attempt.Outcome)
                {
                    case SignInOutcome.Succeeded:
                        return TypedResults.Empty;
                    case SignInOutcome.Throttled:
                        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(attempt.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        return TypedResults.Problem("Too many failed attempts for this account; try again later.", statusCode: StatusCodes.Status429TooManyRequests);
                    case SignInOutcome.Disabled:
                        return TypedResults.Problem("This account is disabled.", statusCode: StatusCodes.Status401Unauthorized);
                    default:
                        return TypedResults.Problem("Wrong email or password.", statusCode: StatusCodes.Status401Unauthorized);
                }
            })
            .AllowAnonymous()
            .WithName("CreateToken").WithSummary("Exchanges email and password for a bearer token (send it as \"Authorization: Bearer …\"). 429 with Retry-After when a client or an account has tried too often.");

        auth.MapGet("/me", (ClaimsPrincipal user) => TypedResults.Ok(Describe(user)))
            .RequireAuthorization(PortalPolicies.Read)
            .WithName("GetCurrentUser").WithSummary("The signed-in user and what they may do.");

        app.MapPost("/account/logout", async (SignInManager<PortalUser> signIn, UserAdministration admin, ClaimsPrincipal user) =>
            {
                // A new security stamp: a copy of this cookie (or a token) taken before sign-out stops working too (ADR 0003).
                if (signIn.UserManager.GetUserId(user) is { } id)
                    await admin.EndOwnSessionsAsync(id);
                await signIn.SignOutAsync();
                return Results.LocalRedirect("/account/login");
            })
            .RequireAuthorization()
            .ExcludeFromDescription();

        var users = app.MapGroup("/api/users").WithTags("Accounts").RequireAuthorization(PortalPolicies.Administer);
        users.MapGet("/", (AccountService accounts, CancellationToken ct) => accounts.ListAsync(ct))
            .WithName("ListUsers").WithSummary("All users with their roles (admins only).");
        users.MapPost("/", async Task<Results<Created, ValidationProblem>> (CreateUserRequest request, AccountService accounts) =>
            {
                var result = await accounts.CreateUserAsync(request.Email, request.Password, request.Role, request.DisplayName);
                return result.Succeeded
                    ? TypedResults.Created($"/api/users?email={Uri.EscapeDataString(request.Email)}")
                    : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["user"] = [.. result.Errors] });
            })
            .WithName("CreateUser").WithSummary("Creates a user with one role: Admin, Engineer, Stakeholder or Manager (admins only).");
        users.MapUserAdministration();
        return app;
    }

    public static CurrentUser Describe(ClaimsPrincipal user)
    {
        var roles = PortalRoles.All.Where(user.IsInRole).ToList();
        return new CurrentUser(user.Identity?.Name ?? "", roles,
            user.IsInRole(PortalRoles.Admin) || user.IsInRole(PortalRoles.Engineer), user.IsInRole(PortalRoles.Admin));
    }
}
