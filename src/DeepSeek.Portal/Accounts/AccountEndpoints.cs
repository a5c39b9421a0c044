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

        auth.MapPost("/token", async Task<Results<EmptyHttpResult, ProblemHttpResult>> (TokenRequest request, SignInManager<PortalUser> signIn) =>
            {
                // The bearer handler writes {tokenType, accessToken, expiresIn, refreshToken} itself.
                signIn.AuthenticationScheme = IdentityConstants.BearerScheme;
                var result = await signIn.PasswordSignInAsync(request.Email, request.Password, isPersistent: false, lockoutOnFailure: true);
                if (result.Succeeded)
                    return TypedResults.Empty;
                return TypedResults.Problem(
                    result.IsLockedOut ? "The account is locked after repeated failures; try again in 10 minutes." : "Wrong email or password.",
                    statusCode: StatusCodes.Status401Unauthorized);
            })
            .AllowAnonymous()
            .WithName("CreateToken").WithSummary("Exchanges email and password for a bearer token (send it as \"Authorization: Bearer …\").");

        auth.MapGet("/me", (ClaimsPrincipal user) => TypedResults.Ok(Describe(user)))
            .RequireAuthorization(PortalPolicies.Read)
            .WithName("GetCurrentUser").WithSummary("The signed-in user and what they may do.");

        app.MapPost("/account/logout", async (SignInManager<PortalUser> signIn) =>
            {
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
        return app;
    }

    public static CurrentUser Describe(ClaimsPrincipal user)
    {
        var roles = PortalRoles.All.Where(user.IsInRole).ToList();
        return new CurrentUser(user.Identity?.Name ?? "", roles,
            user.IsInRole(PortalRoles.Admin) || user.IsInRole(PortalRoles.Engineer), user.IsInRole(PortalRoles.Admin));
    }
}
