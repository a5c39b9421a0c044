using System.Net;
using System.Net.Http.Json;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

public sealed class AuthorizationTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Anonymous_api_calls_get_401_and_pages_redirect_to_login()
    {
        var client = _portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/runs", new { datasetId = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/datasets")).StatusCode);

        var page = await client.GetAsync("/runs");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_is_rejected_with_401()
    {
        var client = _portal.CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/token", new { email = PortalFactory.AdminEmail, password = "not-the-password" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(PortalRoles.Admin, true, true)]
    [InlineData(PortalRoles.Engineer, true, false)]
    [InlineData(PortalRoles.Stakeholder, false, false)]
    [InlineData(PortalRoles.Manager, false, false)]
    public async Task Roles_read_launch_and_administer_as_intended(string role, bool canLaunch, bool canAdminister)
    {
        var client = await _portal.ClientForRoleAsync(role);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/datasets")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/engine")).StatusCode);
        var me = await client.GetFromJsonAsync<CurrentUser>("/api/auth/me");
        Assert.Equal([role], me!.Roles);

        // An invalid launch: allowed roles get a validation error (400), the others are refused first (403).
        var launch = await client.PostAsJsonAsync("/api/runs", new { datasetId = 999, microBatchSize = 0 });
        Assert.Equal(canLaunch ? HttpStatusCode.BadRequest : HttpStatusCode.Forbidden, launch.StatusCode);
        var upload = await client.PostAsync("/api/datasets", TestData.Upload("x.jsonl", TestData.BilingualJsonl(3), $"auth-{role}"));
        Assert.Equal(canLaunch ? HttpStatusCode.Created : HttpStatusCode.Forbidden, upload.StatusCode);
        var cancel = await client.PostAsync("/api/runs/12345/cancel", null);
        Assert.Equal(canLaunch ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden, cancel.StatusCode);

        Assert.Equal(canAdminister ? HttpStatusCode.OK : HttpStatusCode.Forbidden, (await client.GetAsync("/api/users")).StatusCode);

        // Pages declare the same policies.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/datasets")).StatusCode);
        Assert.Equal(canAdminister ? HttpStatusCode.OK : HttpStatusCode.Forbidden, (await client.GetAsync("/admin/users")).StatusCode);
    }

    [Fact]
    public void Every_endpoint_and_page_of_the_portal_declares_its_authorisation()
    {
        var sources = _portal.Services.GetRequiredService<IEnumerable<EndpointDataSource>>();
        var endpoints = sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        // Framework plumbing (the Blazor circuit, its scripts, fingerprinted static assets) is not ours to declare;
        // the fallback policy still requires a signed-in user for anything not marked.
        var ours = endpoints.Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("_", StringComparison.Ordinal) && !raw.StartsWith("/_", StringComparison.Ordinal)
                                        && e.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is null && !raw.Contains("{**path:file}", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(ours, e => e.RoutePattern.RawText == "/runs");
        Assert.Contains(ours, e => e.RoutePattern.RawText == "/api/runs/");
        var undeclared = ours
            .Where(e => e.Metadata.GetMetadata<IAuthorizeData>() is null && e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        Assert.Empty(undeclared);
    }

    [Fact]
    public async Task Admins_create_users_with_a_role_and_unknown_roles_are_rejected()
    {
        var admin = await _portal.ClientForRoleAsync(PortalRoles.Admin);
        var ok = await admin.PostAsJsonAsync("/api/users", new { email = "new.engineer@test.local", password = PortalFactory.Password, role = PortalRoles.Engineer });
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var bad = await admin.PostAsJsonAsync("/api/users", new { email = "x@test.local", password = PortalFactory.Password, role = "Root" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Unknown role", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var users = await admin.GetFromJsonAsync<List<UserSummary>>("/api/users");
        Assert.Contains(users!, u => u.Email == "new.engineer@test.local" && u.Roles.SequenceEqual([PortalRoles.Engineer]));
    }
}
