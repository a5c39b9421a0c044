namespace DeepSeek.Portal.Accounts;

/// <summary>The four roles of the portal. Engineers launch work; stakeholders and managers read.</summary>
public static class PortalRoles
{
    public const string Admin = "Admin";
    public const string Engineer = "Engineer";
    public const string Stakeholder = "Stakeholder";
    public const string Manager = "Manager";

    public static readonly IReadOnlyList<string> All = [Admin, Engineer, Stakeholder, Manager];
}

/// <summary>Authorisation policies. Every page and endpoint names one of these (or AllowAnonymous).</summary>
public static class PortalPolicies
{
    /// <summary>Any signed-in user with a portal role: reads datasets, runs and reports.</summary>
    public const string Read = "portal.read";
    /// <summary>Admins and engineers: import data, launch and cancel runs.</summary>
    public const string Launch = "portal.launch";
    /// <summary>Admins only: manage users.</summary>
    public const string Administer = "portal.admin";
}
