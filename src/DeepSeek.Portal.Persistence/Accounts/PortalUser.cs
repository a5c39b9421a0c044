using Microsoft.AspNetCore.Identity;

namespace DeepSeek.Portal.Data;

/// <summary>A person who signs in. Roles, lockout and the security stamp come from ASP.NET Core Identity.</summary>
public sealed class PortalUser : IdentityUser
{
    /// <summary>Name shown in the UI instead of the e-mail address.</summary>
    public string? DisplayName { get; set; }
}
