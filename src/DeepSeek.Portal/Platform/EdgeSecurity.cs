using System.Net;
using System.Security.Cryptography;
using DeepSeek.Portal.Accounts;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Platform;

/// <summary>
/// What every response carries and what the portal believes about the connection: forwarded headers from configured
/// proxies only, HSTS on HTTPS, and the security headers (with the Content-Security-Policy of ADR 0004) on every
/// response, error pages, 401, 404, 429 and 500 included.
/// </summary>
public static class EdgeSecurity
{
    private const string NonceKey = "portal.csp-nonce";

    public static WebApplicationBuilder AddPortalEdge(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.KnownProxies.All(p => IPAddress.TryParse(p, out _)), "Portal:Proxy:KnownProxies holds an entry that is not an IP address.")
            .Validate(o => o.KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)), "Portal:Proxy:KnownNetworks holds an entry that is not a CIDR network (a.b.c.d/n).")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((o, proxy) =>
        {
            // The client's address (rate limits, logs) and the scheme (Secure cookies, HSTS). Not the host: the
            // portal builds no absolute links from it, and a forged host is a common cache-poisoning tool.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies: the framework's default trusts loopback, which on a shared host is anyone.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var address in proxy.Value.KnownProxies)
                o.KnownProxies.Add(IPAddress.Parse(address));
            foreach (var network in proxy.Value.KnownNetworks)
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        return builder;
    }

    /// <summary>First in the pipeline: forwarded headers (when proxies are configured), then the response headers.</summary>
    public static WebApplication UsePortalEdge(this WebApplication app)
    {
        var proxy = app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value;
        // With no proxy configured the middleware would trust X-Forwarded-* from every client; leave it out instead.
        if (proxy.KnownProxies.Count > 0 || proxy.KnownNetworks.Count > 0)
            app.UseForwardedHeaders();
        var hsts = app.Environment.IsDevelopment() ? null : $"max-age={(long)proxy.HstsMaxAge.TotalSeconds}";
        app.Use((context, next) =>
        {
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            context.Items[NonceKey] = nonce;
            var https = context.Request.IsHttps;
            // OnStarting, not now: the exception handler clears headers before it renders the error page.
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                if (https && hsts is not null)
                    headers.StrictTransportSecurity = hsts;
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }

    /// <summary>The nonce that lets this response's one inline script (Blazor's import map) run.</summary>
    public static string? CspNonce(this HttpContext context) => context.Items[NonceKey] as string;

    /// <summary>Each directive is justified in docs/decisions/0004-content-security-policy.md.</summary>
    public static string ContentSecurityPolicy(string nonce) =>
        "default-src 'self'; " +
        $"script-src 'self' 'nonce-{nonce}'; " +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; " +
        "font-src 'self'; " +
        "connect-src 'self'; " +
        "object-src 'none'; " +
        "worker-src 'none'; " +
        "manifest-src 'self'; " +
        "base-uri 'self'; " +
        "form-action 'self'; " +
        "frame-ancestors 'none'";
}
