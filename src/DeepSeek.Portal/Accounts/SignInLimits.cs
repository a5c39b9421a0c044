using System.Globalization;
using System.Threading.RateLimiting;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Platform;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Accounts;

/// <summary>
/// Limits on guessing passwords, without a lockout that anyone could trigger for any account:
/// <list type="bullet">
/// <item>per client address, every sign-in, token and first-run request counts (ASP.NET Core rate limiting, 429);</item>
/// <item>per account, only failed attempts count; when an account has had too many in the window, further attempts
/// answer 429 before any password is checked, so guessing gains nothing. A browser that has signed in to the
/// account before carries a known-device cookie and is not held back by the per-account limit, so an anonymous
/// attacker who fills it cannot keep the account's owner out.</item>
/// </list>
/// </summary>
public sealed class SignInLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failuresPerAccount;

    public SignInLimits(IOptions<SecurityOptions> options)
    {
        var o = options.Value;
        _failuresPerAccount = PartitionedRateLimiter.Create<string, string>(account => RateLimitPartition.GetFixedWindowLimiter(account, _ =>
            new FixedWindowRateLimiterOptions { PermitLimit = o.SignInPerAccount, Window = o.SignInPerAccountWindow, QueueLimit = 0, AutoReplenishment = true }));
    }

    /// <summary>Whether the account may try again now; when not, how long until it may.</summary>
    public bool MayTry(string account, out TimeSpan retryAfter)
    {
        // Zero permits: asks whether any remain without using one up.
        using var lease = _failuresPerAccount.AttemptAcquire(account, 0);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        return lease.IsAcquired;
    }

    public void CountFailure(string account)
    {
        using var _ = _failuresPerAccount.AttemptAcquire(account, 1);
    }

    public void Dispose() => _failuresPerAccount.Dispose();

    /// <summary>The requests that try a password or a setup code.</summary>
    public static bool IsSignInAttempt(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && (request.Path.Equals("/api/auth/token", StringComparison.OrdinalIgnoreCase)
            || request.Path.Equals("/account/login", StringComparison.OrdinalIgnoreCase)
            || request.Path.Equals("/account/setup", StringComparison.OrdinalIgnoreCase));

    /// <summary>429 with Retry-After: problem details for the API, a line of text in the user's language for forms.</summary>
    public static Task WriteTooManyAsync(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (context.Request.Path.StartsWithSegments("/api"))
            return Results.Problem(title: "Too many sign-in attempts.", detail: $"Try again in {seconds} s.", statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context);
        var text = context.RequestServices.GetRequiredService<IStringLocalizer<SharedResource>>()["TooManyAttempts", seconds];
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text);
    }
}

public static class SignInLimitsRegistration
{
    public static IServiceCollection AddPortalSignInLimits(this IServiceCollection services)
    {
        services.AddSingleton<SignInLimits>();
        services.AddSingleton<UnknownAccountHasher>();
        services.AddScoped<PasswordSignIn>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SecurityOptions>>((o, security) =>
        {
            var perClient = security.Value.SignInPerClientPerMinute;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => SignInLimits.IsSignInAttempt(context.Request)
                ? RateLimitPartition.GetFixedWindowLimiter("client:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"), _ =>
                    new FixedWindowRateLimiterOptions { PermitLimit = perClient, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true })
                : RateLimitPartition.GetNoLimiter("not-a-sign-in"));
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (rejected, _) => new ValueTask(SignInLimits.WriteTooManyAsync(rejected.HttpContext,
                rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1)));
        });
        return services;
    }

}

/// <summary>
/// Checks a password against a fixed hash when the account does not exist, so that an unknown email takes as long as
/// a known one (the hash dominates the time) and response times do not tell which accounts exist.
/// </summary>
public sealed class UnknownAccountHasher
{
    private static readonly PortalUser Nobody = new() { UserName = "nobody" };
    private readonly PasswordHasher<PortalUser> _hasher;
    private readonly string _hash;
    private long _verifications;

    public UnknownAccountHasher(IOptions<PasswordHasherOptions> options)
    {
        // The same algorithm and iteration count as real users' hashes.
        _hasher = new PasswordHasher<PortalUser>(options);
        _hash = _hasher.HashPassword(Nobody, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
    }

    /// <summary>How many times a password was checked for an unknown account (a seam for tests).</summary>
    public long Verifications => Interlocked.Read(ref _verifications);

    public void Verify(string password)
    {
        _hasher.VerifyHashedPassword(Nobody, _hash, password ?? "");
        Interlocked.Increment(ref _verifications);
    }
}

public enum SignInOutcome { Succeeded, Failed, Disabled, Throttled }

public sealed record SignInAttempt(SignInOutcome Outcome, TimeSpan RetryAfter = default);

/// <summary>Password sign-in for the sign-in page and the token endpoint: limits, equal timing, no lockout by strangers.</summary>
public sealed class PasswordSignIn(
    SignInManager<PortalUser> signIn,
    UserManager<PortalUser> users,
    SignInLimits limits,
    UnknownAccountHasher unknown,
    IDataProtectionProvider protection,
    TimeProvider clock)
{
    private const string DeviceCookie = "deepseek.portal.device";
    private readonly IDataProtector _devices = protection.CreateProtector("DeepSeek.Portal.KnownDevice");

    /// <param name="scheme">The sign-in scheme: the Identity cookie (pages) or bearer (token endpoint).</param>
    public async Task<SignInAttempt> SignInAsync(string email, string password, bool persistent, string scheme)
    {
        var account = users.NormalizeEmail(email?.Trim()) ?? "";
        var http = signIn.Context;
        var knownDevice = IsKnownDevice(http, account);
        if (!knownDevice && !limits.MayTry(account, out var retryAfter))
            return new SignInAttempt(SignInOutcome.Throttled, retryAfter);

        var user = account.Length == 0 ? null : await users.FindByEmailAsync(account);
        if (user is null)
        {
            unknown.Verify(password);
            limits.CountFailure(account);
            return new SignInAttempt(SignInOutcome.Failed);
        }
        if (UserStatus.IsDisabled(user, clock))
        {
            // Only someone who knows the password learns that the account is disabled.
            if (await users.CheckPasswordAsync(user, password))
                return new SignInAttempt(SignInOutcome.Disabled);
            limits.CountFailure(account);
            return new SignInAttempt(SignInOutcome.Failed);
        }
        signIn.AuthenticationScheme = scheme;
        var result = await signIn.PasswordSignInAsync(user, password, persistent, lockoutOnFailure: false);
        if (!result.Succeeded)
        {
            limits.CountFailure(account);
            return new SignInAttempt(SignInOutcome.Failed);
        }
        if (scheme == IdentityConstants.ApplicationScheme)
            RememberDevice(http, account);
        return new SignInAttempt(SignInOutcome.Succeeded);
    }

    private bool IsKnownDevice(HttpContext http, string account)
    {
        if (account.Length == 0 || !http.Request.Cookies.TryGetValue(DeviceCookie, out var value) || string.IsNullOrEmpty(value))
            return false;
        try
        {
            return _devices.Unprotect(value).Split('\n').Contains(account, StringComparer.Ordinal);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    private void RememberDevice(HttpContext http, string account)
    {
        var known = new List<string> { account };
        if (http.Request.Cookies.TryGetValue(DeviceCookie, out var value) && !string.IsNullOrEmpty(value))
        {
            try
            {
                known.AddRange(_devices.Unprotect(value).Split('\n').Where(a => a.Length > 0 && a != account).Take(4));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // A cookie from another key ring: start over.
            }
        }
        http.Response.Cookies.Append(DeviceCookie, _devices.Protect(string.Join('\n', known)), new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            Expires = clock.GetUtcNow().AddDays(180),
        });
    }
}
