using System.ComponentModel.DataAnnotations;

namespace DeepSeek.Portal.Accounts;

/// <summary>The "Portal:Security" section: how fast a cut-off user loses access and how hard sign-in may be hammered.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Portal:Security";

    /// <summary>
    /// How long a signed-in request may rely on a cached copy of the user's security stamp. A disabled or deleted user,
    /// or one whose sessions were ended on another node, loses cookie and bearer access within this time (on this node
    /// at once). Tests set it to zero.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan SessionRevalidation { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Sign-in and token attempts one client address may make per minute (any account, any outcome).</summary>
    [Range(1, 100_000)]
    public int SignInPerClientPerMinute { get; set; } = 20;

    /// <summary>Sign-in and token attempts one account may receive per window (from anywhere) before it answers 429.</summary>
    [Range(1, 100_000)]
    public int SignInPerAccount { get; set; } = 10;

    /// <summary>The per-account window: a throttled account answers again after at most this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SignInPerAccountWindow { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>The "Portal:Proxy" section: which reverse proxies may tell the portal the client's address and scheme.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Portal:Proxy";

    /// <summary>Addresses of trusted proxies (for example 127.0.0.1 when nginx runs on the same host).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation (for example 10.0.0.0/8 for a load balancer pool).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>HSTS max-age sent on HTTPS responses outside Development.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "730.00:00:00")]
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);
}
