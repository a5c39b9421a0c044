using System.Security.Cryptography;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Options;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Accounts;

/// <summary>
/// Guards the first-run page: while no user exists, creating the first admin needs a one-time code
/// that is written to the portal's log at start (only someone with access to the server can read it).
/// </summary>
public sealed class SetupGate
{
    private readonly SemaphoreSlim _redeeming = new(1, 1);
    private string? _code;

    public bool IsOpen => _code is not null;

    public string Open()
    {
        _code ??= Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
        return _code;
    }

    /// <summary>
    /// Runs <paramref name="create"/> when the code is right, one caller at a time, and closes the gate only when it
    /// succeeded: a correct code followed by a rejected password can be used again.
    /// </summary>
    public async Task<bool?> RedeemAsync(string? code, Func<Task<bool>> create)
    {
        await _redeeming.WaitAsync();
        try
        {
            if (!Matches(code))
                return null;
            var created = await create();
            if (created)
                _code = null;
            return created;
        }
        finally
        {
            _redeeming.Release();
        }
    }

    private bool Matches(string? code)
    {
        var expected = _code;
        if (expected is null || code is null)
            return false;
        return CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(code.Trim().ToUpperInvariant()));
    }

    public void Close() => _code = null;
}

public sealed record UserSummary(string Id, string Email, string? DisplayName, IReadOnlyList<string> Roles, bool Disabled);

public sealed record AccountResult(bool Succeeded, IReadOnlyList<string> Errors)
{
    public static AccountResult Ok { get; } = new(true, []);
    public static AccountResult Fail(params string[] errors) => new(false, errors);
}

public sealed class AccountService(
    UserManager<PortalUser> users,
    RoleManager<IdentityRole> roles,
    SetupGate setupGate,
    IOptions<PortalOptions> options,
    ILogger<AccountService> logger)
{
    /// <summary>Creates the roles, and the first admin from configuration; opens the first-run page when there is none.</summary>
    public async Task InitialiseAsync(CancellationToken ct)
    {
        foreach (var role in PortalRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));
        }
        if (await users.Users.AnyAsync(ct))
        {
            setupGate.Close();
            return;
        }
        var admin = options.Value.Admin;
        if (!string.IsNullOrWhiteSpace(admin.Email) && !string.IsNullOrWhiteSpace(admin.Password))
        {
            var result = await CreateUserAsync(admin.Email, admin.Password, PortalRoles.Admin, "Administrator");
            if (!result.Succeeded)
                throw new InvalidOperationException("Portal:Admin could not be created: " + string.Join("; ", result.Errors));
            logger.LogInformation("Created the first administrator {Email} from configuration", admin.Email);
            return;
        }
        var code = setupGate.Open();
        logger.LogWarning("No user exists yet. Open /account/setup and enter the one-time setup code {SetupCode} to create the administrator", code);
    }

    public async Task<AccountResult> CreateFirstAdminAsync(string email, string password, string setupCode)
    {
        if (await users.Users.AnyAsync())
            return AccountResult.Fail("The portal already has an administrator.");
        AccountResult result = AccountResult.Fail("The portal already has an administrator.");
        var redeemed = await setupGate.RedeemAsync(setupCode, async () =>
        {
            result = await users.Users.AnyAsync()
                ? AccountResult.Fail("The portal already has an administrator.")
                : await CreateUserAsync(email, password, PortalRoles.Admin, "Administrator");
            return result.Succeeded;
        });
        return redeemed is null ? AccountResult.Fail("The setup code is wrong. It is printed in the portal's log at start.") : result;
    }

    public async Task<AccountResult> CreateUserAsync(string email, string password, string role, string? displayName = null)
    {
        if (!PortalRoles.All.Contains(role))
            return AccountResult.Fail($"Unknown role '{role}'. Expected one of: {string.Join(", ", PortalRoles.All)}.");
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName, LockoutEnabled = true };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
            return AccountResult.Fail(created.Errors.Select(e => e.Description).ToArray());
        var added = await users.AddToRoleAsync(user, role);
        return added.Succeeded ? AccountResult.Ok : AccountResult.Fail(added.Errors.Select(e => e.Description).ToArray());
    }

    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken ct)
    {
        var all = await users.Users.OrderBy(u => u.Email).ToListAsync(ct);
        var result = new List<UserSummary>(all.Count);
        foreach (var u in all)
        {
            var userRoles = await users.GetRolesAsync(u);
            result.Add(new UserSummary(u.Id, u.Email ?? u.UserName ?? u.Id, u.DisplayName, [.. userRoles], UserStatus.IsDisabled(u, TimeProvider.System)));
        }
        return result;
    }
}
