using DeepSeek.Portal.Data;
using Microsoft.AspNetCore.Identity;

namespace DeepSeek.Portal.Accounts;

public enum UserChangeStatus { Done, NotFound, Invalid, Conflict }

/// <summary>Why a guard rail refused a change, for the UI to say in the user's language.</summary>
public enum UserChangeRefusal { None, OwnAccount, LastAdmin }

public sealed record UserChangeResult(UserChangeStatus Status, string? Message = null, UserSummary? User = null, UserChangeRefusal Refusal = UserChangeRefusal.None);

/// <summary>
/// What an admin does to other users: change the role, disable and re-enable, end sessions, delete. Each change that
/// takes access away also changes the security stamp, which <see cref="SessionGuard"/> checks on every request, so the
/// user's cookies and bearer tokens stop working at once on this node and within a minute on any other.
/// </summary>
public sealed class UserAdministration(UserManager<PortalUser> users, SessionGuard guard, TimeProvider clock, ILogger<UserAdministration> logger)
{
    // Two admins removing each other at the same moment must not leave the portal without one (one node; a second
    // node would need a database lock, which SQLite's single writer gives the transaction anyway for the count).
    private static readonly SemaphoreSlim AdminChanges = new(1, 1);

    public async Task<UserSummary?> GetAsync(string id)
    {
        var user = await users.FindByIdAsync(id);
        return user is null ? null : await SummariseAsync(user);
    }

    public Task<UserChangeResult> SetRoleAsync(string actorId, string userId, string role) =>
        ChangeAsync(actorId, userId, removesAdmin: user => Task.FromResult(role != PortalRoles.Admin), selfMessage: "You cannot change your own role; ask another administrator.", async user =>
        {
            if (!PortalRoles.All.Contains(role))
                return Invalid($"Unknown role '{role}'. Expected one of: {string.Join(", ", PortalRoles.All)}.");
            var current = await users.GetRolesAsync(user);
            if (current.Count == 1 && current[0] == role)
                return null;
            var removed = await users.RemoveFromRolesAsync(user, current);
            if (!removed.Succeeded)
                return Invalid(removed);
            var added = await users.AddToRoleAsync(user, role);
            if (!added.Succeeded)
                return Invalid(added);
            // Old cookies and tokens carry the old role: end them so the new role applies everywhere.
            await users.UpdateSecurityStampAsync(user);
            logger.LogInformation("{Actor} changed the role of {User} to {Role}", actorId, user.Email, role);
            return null;
        });

    public Task<UserChangeResult> DisableAsync(string actorId, string userId) =>
        ChangeAsync(actorId, userId, removesAdmin: _ => Task.FromResult(true), selfMessage: "You cannot disable your own account.", async user =>
        {
            user.LockoutEnabled = true;
            user.LockoutEnd = UserStatus.DisabledUntil;
            var updated = await users.UpdateAsync(user);
            if (!updated.Succeeded)
                return Invalid(updated);
            await users.UpdateSecurityStampAsync(user);
            logger.LogInformation("{Actor} disabled {User}", actorId, user.Email);
            return null;
        });

    public Task<UserChangeResult> EnableAsync(string actorId, string userId) =>
        ChangeAsync(actorId, userId, removesAdmin: _ => Task.FromResult(false), selfMessage: null, async user =>
        {
            user.LockoutEnd = null;
            user.AccessFailedCount = 0;
            var updated = await users.UpdateAsync(user);
            if (!updated.Succeeded)
                return Invalid(updated);
            logger.LogInformation("{Actor} enabled {User}", actorId, user.Email);
            return null;
        });

    /// <summary>Signs the user out everywhere: every cookie and bearer token issued so far stops working.</summary>
    public Task<UserChangeResult> EndSessionsAsync(string actorId, string userId) =>
        ChangeAsync(actorId, userId, removesAdmin: _ => Task.FromResult(false), selfMessage: null, async user =>
        {
            await users.UpdateSecurityStampAsync(user);
            logger.LogInformation("{Actor} ended the sessions of {User}", actorId, user.Email);
            return null;
        });

    public async Task<UserChangeResult> DeleteAsync(string actorId, string userId)
    {
        UserSummary? deleted = null;
        var result = await ChangeAsync(actorId, userId, removesAdmin: _ => Task.FromResult(true), selfMessage: "You cannot delete your own account.", async user =>
        {
            deleted = await SummariseAsync(user);
            var outcome = await users.DeleteAsync(user);
            if (!outcome.Succeeded)
                return Invalid(outcome);
            logger.LogInformation("{Actor} deleted {User}", actorId, user.Email);
            return null;
        }, summariseAfter: false);
        return result.Status == UserChangeStatus.Done ? result with { User = deleted } : result;
    }

    /// <summary>Signs one user out of their own sessions (sign-out): the stamp changes, so copies of the cookie die too.</summary>
    public async Task EndOwnSessionsAsync(string userId)
    {
        if (await users.FindByIdAsync(userId) is { } user)
            await users.UpdateSecurityStampAsync(user);
        guard.Forget(userId);
    }

    private async Task<UserChangeResult> ChangeAsync(string actorId, string userId, Func<PortalUser, Task<bool>> removesAdmin, string? selfMessage,
        Func<PortalUser, Task<UserChangeResult?>> change, bool summariseAfter = true)
    {
        await AdminChanges.WaitAsync();
        try
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null)
                return new UserChangeResult(UserChangeStatus.NotFound, "No user has this id.");
            var isAdmin = await users.IsInRoleAsync(user, PortalRoles.Admin);
            var takesAdminAway = isAdmin && !UserStatus.IsDisabled(user, clock) && await removesAdmin(user);
            // An admin never cuts off their own access by mistake; another admin has to do it.
            if (selfMessage is not null && actorId == userId)
                return new UserChangeResult(UserChangeStatus.Conflict, selfMessage, Refusal: UserChangeRefusal.OwnAccount);
            if (takesAdminAway && await ActiveAdminCountAsync() <= 1)
                return new UserChangeResult(UserChangeStatus.Conflict,
                    $"{user.Email} is the last active administrator; make another user an administrator first.", await SummariseAsync(user), UserChangeRefusal.LastAdmin);
            if (await change(user) is { } failed)
                return failed;
            guard.Forget(userId);
            return new UserChangeResult(UserChangeStatus.Done, User: summariseAfter ? await SummariseAsync(user) : null);
        }
        finally
        {
            AdminChanges.Release();
        }
    }

    private async Task<int> ActiveAdminCountAsync() =>
        (await users.GetUsersInRoleAsync(PortalRoles.Admin)).Count(u => !UserStatus.IsDisabled(u, clock));

    private async Task<UserSummary> SummariseAsync(PortalUser user) =>
        new(user.Id, user.Email ?? user.UserName ?? user.Id, user.DisplayName, [.. await users.GetRolesAsync(user)], UserStatus.IsDisabled(user, clock));

    private static UserChangeResult Invalid(string message) => new(UserChangeStatus.Invalid, message);

    private static UserChangeResult Invalid(IdentityResult result) =>
        new(UserChangeStatus.Invalid, string.Join(" ", result.Errors.Select(e => e.Description)));
}
