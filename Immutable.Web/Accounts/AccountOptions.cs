namespace Immutable.Web.Accounts;

/// <summary>Dashboard sign-in (section "Accounts").</summary>
public sealed class AccountOptions
{
    public const string Section = "Accounts";

    /// <summary>Failed sign-ins of one account from one client address (within LockoutMinutes) before that address is locked out of it.</summary>
    public int MaxFailedSignIns { get; set; } = 5;
    /// <summary>The first lockout's length (each further lockout of the same address doubles it) and the failure-counting window.</summary>
    public int LockoutMinutes { get; set; } = 15;
    /// <summary>Failed sign-ins from one client address, any account, before it must back off exponentially.</summary>
    public int ClientFreeFailures { get; set; } = 10;
    /// <summary>How often open hub connections and dashboard circuits are checked against revocations and memberships.</summary>
    public int SessionCheckMilliseconds { get; set; } = 500;
    /// <summary>How long the first-run setup link printed on the console stays valid.</summary>
    public int SetupLinkMinutes { get; set; } = 60;
    public int InvitationDays { get; set; } = 7;
    public int MinimumPasswordLength { get; set; } = 10;
}

/// <summary>The role a member holds in a workspace, most powerful first (stored and shown as its <c>WireName</c>).</summary>
public enum Role
{
    Owner,
    Admin,
    Analyst,
}

/// <summary>The roles by their wire names (claims, forms, the CLI), most powerful first.</summary>
public static class Roles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Analyst = "analyst";
    public static readonly IReadOnlyList<string> All = [Owner, Admin, Analyst];

    /// <summary>Admins and owners configure detection, keys and webhooks; analysts triage.</summary>
    public static bool CanConfigure(string role) => role is Owner or Admin;
    public static bool CanManageMembers(string role) => role is Owner;
}
