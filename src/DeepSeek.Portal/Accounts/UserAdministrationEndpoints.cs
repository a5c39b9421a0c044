using System.Security.Claims;
using DeepSeek.Portal.Data;
using Microsoft.AspNetCore.Identity;

namespace DeepSeek.Portal.Accounts;

public sealed record SetRoleRequest(string Role);

public static class UserAdministrationEndpoints
{
    /// <summary>Admin actions on one user. Each answers the user as it is now, 404, 400 (bad role) or 409 (a guard rail).</summary>
    public static RouteGroupBuilder MapUserAdministration(this RouteGroupBuilder users)
    {
        users.MapGet("/{id}", async (string id, UserAdministration admin) =>
                await admin.GetAsync(id) is { } user ? Results.Ok(user) : Results.Problem("No user has this id.", statusCode: StatusCodes.Status404NotFound))
            .WithName("GetUser").WithSummary("One user with role and status (admins only).")
            .Produces<UserSummary>().ProducesProblem(StatusCodes.Status404NotFound);

        users.MapPost("/{id}/role", (string id, SetRoleRequest request, UserAdministration admin, ClaimsPrincipal actor, UserManager<PortalUser> manager) =>
                Answer(admin.SetRoleAsync(manager.GetUserId(actor)!, id, request.Role)))
            .WithName("SetUserRole").WithSummary("Gives the user exactly one role. The user's sessions end so the new role applies at once. Not for your own account or the last active admin.")
            .Produces<UserSummary>().ProducesProblem(StatusCodes.Status409Conflict);

        users.MapPost("/{id}/disable", (string id, UserAdministration admin, ClaimsPrincipal actor, UserManager<PortalUser> manager) =>
                Answer(admin.DisableAsync(manager.GetUserId(actor)!, id)))
            .WithName("DisableUser").WithSummary("Disables the user: sign-in is refused and their cookies and tokens stop working. Not for your own account or the last active admin.")
            .Produces<UserSummary>().ProducesProblem(StatusCodes.Status409Conflict);

        users.MapPost("/{id}/enable", (string id, UserAdministration admin, ClaimsPrincipal actor, UserManager<PortalUser> manager) =>
                Answer(admin.EnableAsync(manager.GetUserId(actor)!, id)))
            .WithName("EnableUser").WithSummary("Lets a disabled user sign in again.")
            .Produces<UserSummary>();

        users.MapPost("/{id}/end-sessions", (string id, UserAdministration admin, ClaimsPrincipal actor, UserManager<PortalUser> manager) =>
                Answer(admin.EndSessionsAsync(manager.GetUserId(actor)!, id)))
            .WithName("EndUserSessions").WithSummary("Signs the user out everywhere: every cookie and bearer token issued so far stops working.")
            .Produces<UserSummary>();

        users.MapDelete("/{id}", async (string id, UserAdministration admin, ClaimsPrincipal actor, UserManager<PortalUser> manager) =>
                await Answer(admin.DeleteAsync(manager.GetUserId(actor)!, id)) is var answer && answer is IStatusCodeHttpResult { StatusCode: 200 } ? Results.NoContent() : answer)
            .WithName("DeleteUser").WithSummary("Deletes the user; their cookies and tokens stop working. Not for your own account or the last active admin.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status409Conflict);
        return users;
    }

    private static async Task<IResult> Answer(Task<UserChangeResult> change)
    {
        var result = await change;
        return result.Status switch
        {
            UserChangeStatus.Done => Results.Ok(result.User),
            UserChangeStatus.NotFound => Results.Problem(result.Message, statusCode: StatusCodes.Status404NotFound),
            UserChangeStatus.Conflict => Results.Problem(result.Message, title: "Not allowed for this user.", statusCode: StatusCodes.Status409Conflict),
            _ => Results.Problem(result.Message, statusCode: StatusCodes.Status400BadRequest),
        };
    }
}
