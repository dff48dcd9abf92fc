using System.Security.Cryptography;
using System.Text;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Accounts;

public sealed record Membership(string WorkspaceId, string WorkspaceName, string Role);

public abstract record SignInResult
{
    public sealed record Success(DashboardUserRecord User, Membership Membership) : SignInResult;
    /// <summary>Wrong email or password, or no workspace: one answer, so an attacker cannot tell which.</summary>
    public sealed record Invalid : SignInResult;
    public sealed record LockedOut(DateTime Until) : SignInResult;
}

public sealed record AccountViolation(string Field, string Message);

/// <summary>
/// Dashboard accounts: first-run setup, invitations, password sign-in with lockout.
/// Invariants: passwords are stored only as PasswordHasher hashes; one-time tokens only as SHA-256, single use and
/// expiring; a failed sign-in of an unknown email costs the same hash verification as a known one.
/// </summary>
public sealed class AccountService(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    WorkspaceDirectory workspaces,
    IOptions<AccountOptions> options,
    TimeProvider time)
{
    private static readonly PasswordHasher<DashboardUserRecord> Hasher = new();
    private static readonly string DummyHash = Hasher.HashPassword(null!, "not a password anyone has");
    private AccountOptions Options => options.Value;
    private DateTime Now => Timestamps.ToMicroseconds(time.GetUtcNow());

    public async Task<bool> AnyUserAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DashboardUsers.AnyAsync(ct);
    }

    /// <summary>A setup link token for the first owner (only while no user exists).</summary>
    public async Task<string?> CreateSetupTokenAsync(CancellationToken ct = default)
    {
        if (await AnyUserAsync(ct)) return null;
        return await IssueTokenAsync("setup", null, null, Roles.Owner, TimeSpan.FromMinutes(Options.SetupLinkMinutes), ct);
    }

    /// <summary>Adds (or updates) a member and returns an invitation token when they have no account yet.</summary>
    public async Task<(string? Token, IReadOnlyList<AccountViolation> Violations)> InviteAsync(string workspaceId, string email, string? name, string role, CancellationToken ct = default)
    {
        var violations = new List<AccountViolation>();
        email = email.Trim().ToLowerInvariant();
        if (!IsEmail(email)) violations.Add(new("email", "Enter an email address, e.g. ana@example.com."));
        if (!Roles.All.Contains(role)) violations.Add(new("role", "Choose owner, admin or analyst."));
        if (violations.Count > 0) return (null, violations);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.WorkspaceMembers.SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Email == email, ct);
        if (member is null)
            db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = email, Name = name, Role = role, CreatedAt = Now });
        else
        {
            member.Role = role;
            member.Name = name ?? member.Name;
        }
        await db.SaveChangesAsync(ct);
        if (await db.DashboardUsers.AnyAsync(u => u.Email == email, ct)) return (null, []);
        return (await IssueTokenAsync("invite", workspaceId, email, role, TimeSpan.FromDays(Options.InvitationDays), ct), []);
    }

    /// <summary>What a token link is for, or null when it is unknown, used or expired.</summary>
    public async Task<AccountTokenRecord?> FindTokenAsync(string? token, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = Hash(token);
        var row = await db.AccountTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, ct);
        return row is null || row.UsedAt is not null || row.ExpiresAt < Now ? null : row;
    }

    /// <summary>
    /// Redeems a setup or invitation link: creates the account (and for setup, the workspace with this user as owner).
    /// The token is marked used in the same transaction, so a link works once.
    /// </summary>
    public async Task<(DashboardUserRecord? User, Membership? Membership, IReadOnlyList<AccountViolation> Violations)> RedeemAsync(
        string token, string workspaceName, string name, string email, string password, CancellationToken ct = default)
    {
        var row = await FindTokenAsync(token, ct);
        if (row is null) return (null, null, [new("token", "This link is no longer valid. Ask an owner for a new one.")]);
        email = (row.Email ?? email).Trim().ToLowerInvariant();
        var violations = new List<AccountViolation>();
        if (string.IsNullOrWhiteSpace(name)) violations.Add(new("name", "Enter your name."));
        if (!IsEmail(email)) violations.Add(new("email", "Enter an email address, e.g. ana@example.com."));
        if (row.Purpose == "setup" && string.IsNullOrWhiteSpace(workspaceName)) violations.Add(new("workspace", "Name the workspace, e.g. acme-production."));
        if (password.Length < Options.MinimumPasswordLength) violations.Add(new("password", $"Use at least {Options.MinimumPasswordLength} characters."));
        if (violations.Count > 0) return (null, null, violations);

        string workspaceId;
        string wsName;
        if (row.Purpose == "setup")
        {
            var ws = await workspaces.GetOrCreateWorkspaceAsync(workspaceName.Trim(), ct);
            (workspaceId, wsName) = (ws.Id, ws.Name);
        }
        else
        {
            workspaceId = row.WorkspaceId!;
            await using var names = await dbFactory.CreateDbContextAsync(ct);
            wsName = await names.Workspaces.Where(w => w.Id == workspaceId).Select(w => w.Name).SingleAsync(ct);
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var stored = await db.AccountTokens.SingleAsync(t => t.TokenHash == row.TokenHash, ct);
        if (stored.UsedAt is not null) return (null, null, [new("token", "This link was already used.")]);
        if (await db.DashboardUsers.AnyAsync(u => u.Email == email, ct)) return (null, null, [new("email", "An account with this email exists; sign in instead.")]);
        stored.UsedAt = Now;
        var user = new DashboardUserRecord { Id = ApiKeyFormat.NewId("usr_"), Email = email, Name = name.Trim(), PasswordHash = "", CreatedAt = Now };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.DashboardUsers.Add(user);
        var member = await db.WorkspaceMembers.SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Email == email, ct);
        if (member is null)
            db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = email, Name = user.Name, Role = row.Role ?? Roles.Analyst, CreatedAt = Now });
        else member.Name ??= user.Name;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (user, new Membership(workspaceId, wsName, member?.Role ?? row.Role ?? Roles.Analyst), []);
    }

    public async Task<SignInResult> SignInAsync(string email, string password, CancellationToken ct = default)
    {
        email = email.Trim().ToLowerInvariant();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.DashboardUsers.SingleOrDefaultAsync(u => u.Email == email, ct);
        if (user is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash, password); // same cost as a real check
            return new SignInResult.Invalid();
        }
        if (user.LockedUntil is { } until && until > Now) return new SignInResult.LockedOut(until);

        var verified = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verified == PasswordVerificationResult.Failed)
        {
            user.FailedSignIns++;
            if (user.FailedSignIns >= Options.MaxFailedSignIns)
            {
                user.LockedUntil = Now.AddMinutes(Options.LockoutMinutes);
                user.FailedSignIns = 0;
                await db.SaveChangesAsync(ct);
                return new SignInResult.LockedOut(user.LockedUntil.Value);
            }
            await db.SaveChangesAsync(ct);
            return new SignInResult.Invalid();
        }
        if (verified == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = Hasher.HashPassword(user, password);
        user.FailedSignIns = 0;
        user.LockedUntil = null;
        await db.SaveChangesAsync(ct);

        var memberships = await MembershipsAsync(email, ct);
        var membership = memberships.Count > 0 ? memberships[0] : null;
        return membership is null ? new SignInResult.Invalid() : new SignInResult.Success(user, membership);
    }

    public async Task<IReadOnlyList<Membership>> MembershipsAsync(string email, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from m in db.WorkspaceMembers
                          join w in db.Workspaces on m.WorkspaceId equals w.Id
                          where m.Email == email
                          select new { m.WorkspaceId, w.Name, m.Role, m.CreatedAt }).ToListAsync(ct);
        return rows.OrderBy(r => r.CreatedAt).Select(r => new Membership(r.WorkspaceId, r.Name, r.Role)).ToList();
    }

    /// <summary>The member's current role, or null when they were removed: signed-in sessions follow it.</summary>
    public async Task<string?> CurrentRoleAsync(string workspaceId, string email, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WorkspaceMembers.Where(m => m.WorkspaceId == workspaceId && m.Email == email).Select(m => m.Role).SingleOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<(WorkspaceMemberRecord Member, bool HasAccount)>> MembersAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await db.WorkspaceMembers.AsNoTracking().Where(m => m.WorkspaceId == workspaceId).ToListAsync(ct);
        var emails = members.Select(m => m.Email).ToList();
        var withAccounts = (await db.DashboardUsers.Where(u => emails.Contains(u.Email)).Select(u => u.Email).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        return members.OrderBy(m => Roles.Rank(m.Role)).ThenBy(m => m.Email, StringComparer.Ordinal)
            .Select(m => (m, withAccounts.Contains(m.Email))).ToList();
    }

    /// <summary>Changes a role or removes a member (role null); a workspace always keeps at least one owner.</summary>
    public async Task<string?> ChangeMemberAsync(string workspaceId, string email, string? role, CancellationToken ct = default)
    {
        if (role is not null && !Roles.All.Contains(role)) return "Choose owner, admin or analyst.";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.WorkspaceMembers.SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Email == email, ct);
        if (member is null) return "No such member.";
        if (member.Role == Roles.Owner && role != Roles.Owner
            && await db.WorkspaceMembers.CountAsync(m => m.WorkspaceId == workspaceId && m.Role == Roles.Owner, ct) == 1)
            return "A workspace needs at least one owner: make someone else owner first.";
        if (role is null) db.WorkspaceMembers.Remove(member);
        else member.Role = role;
        await db.SaveChangesAsync(ct);
        return null;
    }

    private async Task<string> IssueTokenAsync(string purpose, string? workspaceId, string? email, string role, TimeSpan lifetime, CancellationToken ct)
    {
        var token = ApiKeyFormat.NewId("", 40);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AccountTokens.Add(new AccountTokenRecord
        {
            TokenHash = Hash(token), Purpose = purpose, WorkspaceId = workspaceId, Email = email, Role = role,
            ExpiresAt = Now + lifetime, CreatedAt = Now,
        });
        await db.SaveChangesAsync(ct);
        return token;
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static bool IsEmail(string email) =>
        email.Length is > 3 and <= 254 && email.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < email.Length - 1 && !email.Any(char.IsWhiteSpace);
}
