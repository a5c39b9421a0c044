using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>Cutting a user off, over real HTTP: what an admin does and what the user's cookie and token can do afterwards.</summary>
public sealed class UserAdministrationTests : IAsyncLifetime
{
    private const string Engineer = "engineer@cutoff.local";
    private LoopbackPortal _portal = default!;
    private HttpClient _admin = default!;

    public async Task InitializeAsync()
    {
        // Zero: every request checks the user store, so a change made behind the portal's back is seen at once too.
        _portal = LoopbackPortal.Start(new Dictionary<string, string> { ["Portal:Security:SessionRevalidation"] = "00:00:00" });
        _admin = _portal.BearerClient(await _portal.TokenAsync(PortalFactory.AdminEmail));
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _portal.DisposeAsync();
    }

    private async Task<(string Id, HttpClient Bearer, CookieSession Browser)> SignedInEngineerAsync()
    {
        var id = await _portal.EnsureUserAsync(Engineer, PortalRoles.Engineer);
        var bearer = _portal.BearerClient(await _portal.TokenAsync(Engineer));
        var browser = _portal.NewSession();
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(Engineer)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await browser.MeAsync());
        return (id, bearer, browser);
    }

    [Fact]
    public async Task Deleted_user_loses_token_and_cookie_access_at_once()
    {
        var (id, bearer, browser) = await SignedInEngineerAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/users/{id}")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.PostAsync("/api/runs/1/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await browser.MeAsync());
        var page = await browser.GetAsync("/runs");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login", page.Headers.Location!.OriginalString.Replace(_portal.BaseAddress.ToString().TrimEnd('/'), ""), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync($"/api/users/{id}")).StatusCode);
    }

    [Fact]
    public async Task Disabled_user_is_cut_off_cannot_sign_in_and_comes_back_when_enabled()
    {
        var (id, bearer, browser) = await SignedInEngineerAsync();

        var disabled = await _admin.PostAsync($"/api/users/{id}/disable", null);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.True((await disabled.Content.ReadFromJsonAsync<UserSummary>())!.Disabled);

        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await browser.MeAsync());
        using var anonymous = _portal.NewClient();
        var refused = await anonymous.PostAsJsonAsync("/api/auth/token", new { email = Engineer, password = PortalFactory.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("disabled", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var page = await _portal.NewSession().SignInAsync(Engineer);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode); // the form again, with the message, no redirect
        Assert.Contains("disabled", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await _admin.PostAsync($"/api/users/{id}/enable", null)).StatusCode);
        using var fresh = _portal.BearerClient(await _portal.TokenAsync(Engineer));
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/auth/me")).StatusCode);
        // Re-enabling does not revive what was issued before.
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task Ending_sessions_rejects_earlier_tokens_and_cookies_but_not_a_new_sign_in()
    {
        var (id, bearer, browser) = await SignedInEngineerAsync();

        Assert.Equal(HttpStatusCode.OK, (await _admin.PostAsync($"/api/users/{id}/end-sessions", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await browser.MeAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(Engineer)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await browser.MeAsync());
    }

    [Fact]
    public async Task Security_stamp_changed_behind_the_portals_back_is_checked_on_the_next_request()
    {
        // Another node, or a script on the database, ends the sessions: this node has not forgotten anything, it re-reads.
        var (id, bearer, browser) = await SignedInEngineerAsync();
        await using (var scope = _portal.Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            await users.UpdateSecurityStampAsync((await users.FindByIdAsync(id))!);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await browser.MeAsync());
    }

    [Fact]
    public async Task Changing_the_role_applies_at_once_and_ends_the_old_sessions()
    {
        var (id, bearer, _) = await SignedInEngineerAsync();

        var changed = await _admin.PostAsJsonAsync($"/api/users/{id}/role", new { role = PortalRoles.Stakeholder });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal([PortalRoles.Stakeholder], (await changed.Content.ReadFromJsonAsync<UserSummary>())!.Roles);

        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/auth/me")).StatusCode);
        using var fresh = _portal.BearerClient(await _portal.TokenAsync(Engineer));
        Assert.Equal(HttpStatusCode.Forbidden, (await fresh.PostAsync("/api/runs/1/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _admin.PostAsJsonAsync($"/api/users/{id}/role", new { role = "Owner" })).StatusCode);
    }

    [Fact]
    public async Task Sign_out_ends_the_session_so_a_copied_cookie_no_longer_works()
    {
        var (_, _, browser) = await SignedInEngineerAsync();
        using var thief = browser.Copy(_portal.NewClient());
        Assert.Equal(HttpStatusCode.OK, await thief.MeAsync());

        var token = await browser.MetaTokenAsync("/");
        var signedOut = await browser.PostFormAsync("/account/logout", new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await browser.MeAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, await thief.MeAsync());
    }

    [Fact]
    public async Task Admin_cannot_disable_delete_or_demote_their_own_account()
    {
        var me = JsonDocument.Parse(await _admin.GetStringAsync("/api/users")).RootElement.EnumerateArray()
            .Single(u => u.GetProperty("email").GetString() == PortalFactory.AdminEmail).GetProperty("id").GetString();

        foreach (var response in new[]
                 {
                     await _admin.PostAsync($"/api/users/{me}/disable", null),
                     await _admin.DeleteAsync($"/api/users/{me}"),
                     await _admin.PostAsJsonAsync($"/api/users/{me}/role", new { role = PortalRoles.Engineer }),
                 })
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains("own", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await _admin.GetAsync("/api/auth/me")).StatusCode);
    }

    [Fact]
    public async Task The_last_active_admin_cannot_be_disabled_deleted_or_demoted()
    {
        // Through the API the acting admin is always another active admin, so the rule is reached from the service,
        // as a second node or a maintenance script would reach it.
        await using var scope = _portal.Factory.Services.CreateAsyncScope();
        var admin = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var only = (await users.FindByEmailAsync(PortalFactory.AdminEmail))!.Id;

        foreach (var result in new[]
                 {
                     await admin.DisableAsync("maintenance", only),
                     await admin.DeleteAsync("maintenance", only),
                     await admin.SetRoleAsync("maintenance", only, PortalRoles.Manager),
                 })
        {
            Assert.Equal(UserChangeStatus.Conflict, result.Status);
            Assert.Equal(UserChangeRefusal.LastAdmin, result.Refusal);
            Assert.Contains("last active administrator", result.Message, StringComparison.Ordinal);
        }

        // With a second admin the first may go.
        var second = await _portal.EnsureUserAsync("second-admin@cutoff.local", PortalRoles.Admin);
        Assert.Equal(UserChangeStatus.Done, (await admin.DisableAsync(second, only)).Status);
        Assert.Equal(UserChangeRefusal.LastAdmin, (await admin.DisableAsync("maintenance", second)).Refusal);
    }

    [Fact]
    public async Task Only_admins_may_administer_users()
    {
        var (id, bearer, browser) = await SignedInEngineerAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await bearer.PostAsync($"/api/users/{id}/end-sessions", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bearer.DeleteAsync($"/api/users/{id}")).StatusCode);
        var token = await browser.MetaTokenAsync("/");
        var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/users/{id}");
        request.Headers.Add(CsrfProtection.HeaderName, token);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.DeleteAsync("/api/users/no-such-user")).StatusCode);
    }
}
