using System.Net;
using System.Net.Http.Json;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

public sealed class FirstRunTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new(configureAdmin: false);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Without_a_configured_admin_the_setup_page_needs_the_one_time_code_from_the_log()
    {
        var client = _portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var login = await client.GetStringAsync("/account/login");
        Assert.Contains("account/setup", login, StringComparison.Ordinal);
        Assert.Contains("Setup code", await client.GetStringAsync("/account/setup"), StringComparison.Ordinal);

        await using var scope = _portal.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var gate = _portal.Services.GetRequiredService<SetupGate>();
        Assert.True(gate.IsOpen);

        var wrong = await accounts.CreateFirstAdminAsync("first@test.local", PortalFactory.Password, "WRONG-CODE");
        Assert.False(wrong.Succeeded);
        Assert.Contains("setup code", wrong.Errors[0], StringComparison.Ordinal);

        var code = gate.Open(); // what the log printed at start (Open returns the existing code)
        var ok = await accounts.CreateFirstAdminAsync("first@test.local", PortalFactory.Password, code.ToLowerInvariant());
        Assert.True(ok.Succeeded, string.Join("; ", ok.Errors));
        Assert.False(gate.IsOpen);
        var again = await accounts.CreateFirstAdminAsync("second@test.local", PortalFactory.Password, code);
        Assert.False(again.Succeeded);

        var token = await client.PostAsJsonAsync("/api/auth/token", new { email = "first@test.local", password = PortalFactory.Password });
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
    }

    [Fact]
    public async Task Failed_sign_ins_never_lock_the_account_so_strangers_cannot_keep_its_owner_out()
    {
        // Guessing is throttled per client and per account instead (SecurityTests); no lockout is left to abuse.
        await using var scope = _portal.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        Assert.True((await accounts.CreateUserAsync("locked@test.local", PortalFactory.Password, PortalRoles.Manager)).Succeeded);
        var client = _portal.CreateClient();
        for (var i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/token", new { email = "locked@test.local", password = "wrong-password-1" })).StatusCode);
        var right = await client.PostAsJsonAsync("/api/auth/token", new { email = "locked@test.local", password = PortalFactory.Password });
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }
}
