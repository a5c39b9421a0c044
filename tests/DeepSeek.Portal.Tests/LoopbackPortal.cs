using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// The portal on real Kestrel (127.0.0.1, free port), for tests that care about what travels over HTTP: cookies,
/// client addresses, forwarded headers. Cookies are kept by <see cref="CookieSession"/>, which does what a browser does
/// with them but also shows Secure cookies on plain HTTP, so tests can look at their attributes.
/// </summary>
public sealed class LoopbackPortal : IAsyncDisposable
{
    public PortalFactory Factory { get; }
    public Uri BaseAddress { get; }

    private LoopbackPortal(PortalFactory factory, Uri baseAddress)
    {
        Factory = factory;
        BaseAddress = baseAddress;
    }

    /// <param name="settings">Portal settings for this instance, e.g. "Portal:Security:SessionRevalidation".</param>
    public static LoopbackPortal Start(IReadOnlyDictionary<string, string>? settings = null, bool configureAdmin = true)
    {
        var factory = new PortalFactory(configureAdmin: configureAdmin);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            factory.Settings[key] = value;
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackPortal(factory, new Uri(address));
    }

    public CookieSession NewSession() => new(NewClient());

    public HttpClient NewClient() =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = BaseAddress };

    /// <summary>Creates the user (when missing) and returns its id.</summary>
    public async Task<string> EnsureUserAsync(string email, string role)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        if ((await accounts.ListAsync(CancellationToken.None)).FirstOrDefault(u => u.Email == email) is { } existing)
            return existing.Id;
        var created = await accounts.CreateUserAsync(email, PortalFactory.Password, role);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        return (await accounts.ListAsync(CancellationToken.None)).Single(u => u.Email == email).Id;
    }

    public async Task<string> TokenAsync(string email)
    {
        using var client = NewClient();
        var response = await client.PostAsJsonAsync("/api/auth/token", new { email, password = PortalFactory.Password });
        Assert.True(response.IsSuccessStatusCode, $"token for {email}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<TokenBody>())!.AccessToken;
    }

    public HttpClient BearerClient(string token)
    {
        var client = NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private sealed record TokenBody(string AccessToken);

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>A cookie jar over one HttpClient: what a browser tab sends and keeps.</summary>
public sealed partial class CookieSession(HttpClient http) : IDisposable
{
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    public HttpClient Http { get; } = http;

    /// <summary>Every Set-Cookie header seen, as sent (attributes included).</summary>
    public List<string> SetCookies { get; } = [];

    public bool Has(string cookie) => _cookies.ContainsKey(cookie);

    /// <summary>A second jar with the same cookies: a stolen copy of this browser's session.</summary>
    public CookieSession Copy(HttpClient client)
    {
        var copy = new CookieSession(client);
        foreach (var (k, v) in _cookies)
            copy._cookies[k] = v;
        return copy;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (_cookies.Count > 0)
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        var response = await Http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var header in values)
            {
                SetCookies.Add(header);
                var pair = header.Split(';')[0];
                var eq = pair.IndexOf('=');
                var (name, value) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
                var expired = header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase) || value.Length == 0;
                if (expired)
                    _cookies.Remove(name);
                else
                    _cookies[name] = value;
            }
        }
        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string url, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        configure?.Invoke(request);
        return SendAsync(request);
    }

    public Task<HttpResponseMessage> PostFormAsync(string url, IEnumerable<KeyValuePair<string, string>> fields, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        configure?.Invoke(request);
        return SendAsync(request);
    }

    /// <summary>The hidden antiforgery field of a statically rendered form page.</summary>
    public async Task<string> FormTokenAsync(string url, Action<HttpRequestMessage>? configure = null)
    {
        var html = await (await GetAsync(url, configure)).Content.ReadAsStringAsync();
        var match = FormToken().Match(html);
        Assert.True(match.Success, $"no antiforgery field on {url}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>The token of the portal-csrf meta tag, as the portal's scripts read it.</summary>
    public async Task<string> MetaTokenAsync(string url = "/")
    {
        var response = await GetAsync(url);
        var html = await response.Content.ReadAsStringAsync();
        var match = MetaToken().Match(html);
        Assert.True(match.Success, $"no portal-csrf meta tag on {url} ({(int)response.StatusCode})");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Signs in through the sign-in page, as a person does; returns the form post's response.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string email, string password = PortalFactory.Password, Action<HttpRequestMessage>? configure = null)
    {
        var token = await FormTokenAsync("/account/login", configure);
        return await PostFormAsync("/account/login", new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }, configure);
    }

    public async Task<HttpStatusCode> MeAsync() => (await GetAsync("/api/auth/me")).StatusCode;

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex("<meta name=\"portal-csrf\" content=\"([^\"]*)\"")]
    private static partial Regex MetaToken();

    public void Dispose() => Http.Dispose();
}
