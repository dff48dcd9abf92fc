using Immutable.Domain;
using System.Security.Cryptography;
using System.Text;
using Immutable.Domain.Chain;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Accounts;

public sealed record Membership(string WorkspaceId, string WorkspaceName, string Role);

public abstract record SignInResult
{
    /// <summary>How long the page waits before answering a failure (the per-account back-off; zero when none).</summary>
    public TimeSpan Delay { get; init; }

    public sealed record Success(DashboardUserRecord User, Membership Membership, string SessionId) : SignInResult;
    /// <summary>Wrong email or password, or no workspace: one answer, so an attacker cannot tell which.</summary>
    public sealed record Invalid : SignInResult;
    /// <summary>Locked for this client address (others may still sign in).</summary>
    public sealed record LockedOut(DateTime Until) : SignInResult;
    /// <summary>This client address failed too often: back off until then.</summary>
    public sealed record Throttled(DateTime Until) : SignInResult;
}

public sealed record AccountViolation(string Field, string Message);

/// <summary>
/// Dashboard accounts: first-run setup, invitations, password sign-in with throttling, server-side sessions.
/// Invariants: passwords are stored only as PasswordHasher hashes; one-time tokens only as SHA-256, single use and
/// expiring; a failed sign-in of an unknown email costs the same hash verification as a known one; a cookie is only
/// as good as its session row (signing out, a lockout or removal ends it); every sign-in, failed sign-in and lockout
/// of an account is written to the chain of each workspace it belongs to.
/// </summary>
public sealed class AccountService(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    WorkspaceDirectory workspaces,
    IOptions<AccountOptions> options,
    ISignInThrottle throttle,
    Immutable.Web.Audit.AuditTrail audit,
    IDomainEvents events,
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
        return await IssueTokenAsync("setup", null, null, Role.Owner, TimeSpan.FromMinutes(Options.SetupLinkMinutes), ct);
    }

    public const int MaxNameLength = 200;

    /// <summary>Adds (or updates) a member and returns an invitation token when they have no account yet.</summary>
    public async Task<(string? Token, IReadOnlyList<AccountViolation> Violations)> InviteAsync(string workspaceId, string email, string? name, string role, CancellationToken ct = default)
    {
        var violations = new List<AccountViolation>();
        email = email.Trim().ToLowerInvariant();
        if (!IsEmail(email)) violations.Add(new("email", "Enter an email address, e.g. ana@example.com."));
        if (!WireName.TryParse<Role>(role, out var parsed)) violations.Add(new("role", "Choose owner, admin or analyst."));
        if (name is { Length: > MaxNameLength }) violations.Add(new("name", $"Use at most {MaxNameLength} characters (or leave it empty)."));
        if (violations.Count > 0) return (null, violations);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.WorkspaceMembers.SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Email == email, ct);
        if (member is null)
            db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = email, Name = name, Role = parsed, CreatedAt = Now });
        else
        {
            member.Role = parsed;
            member.Name = name ?? member.Name;
        }
        await db.SaveChangesAsync(ct);
        if (await db.DashboardUsers.AnyAsync(u => u.Email == email, ct)) return (null, []);
        return (await IssueTokenAsync("invite", workspaceId, email, parsed, TimeSpan.FromDays(Options.InvitationDays), ct), []);
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
            db.WorkspaceMembers.Add(new WorkspaceMemberRecord { WorkspaceId = workspaceId, Email = email, Name = user.Name, Role = row.Role ?? Role.Analyst, CreatedAt = Now });
        else member.Name ??= user.Name;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (user, new Membership(workspaceId, wsName, WireName.Of(member?.Role ?? row.Role ?? Role.Analyst)), []);
    }

    /// <param name="client">The caller's address (after trusted-proxy forwarding), for throttling and the audit trail.</param>
    public async Task<SignInResult> SignInAsync(string email, string password, string client, CancellationToken ct = default)
    {
        email = email.Trim().ToLowerInvariant();
        switch (throttle.Check(email, client))
        {
            case ThrottleDecision.ClientBackOff backOff: return new SignInResult.Throttled(backOff.Until);
            case ThrottleDecision.LockedOut locked: return new SignInResult.LockedOut(locked.Until);
        }
        using var turn = await throttle.EnterAccountAsync(email, ct);
        if (turn is null) return new SignInResult.Throttled(Now.AddSeconds(30));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.DashboardUsers.SingleOrDefaultAsync(u => u.Email == email, ct);
        if (user is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash, password); // same cost as a real check
            var (_, unknownDelay) = throttle.RecordFailure(email, client);
            return new SignInResult.Invalid { Delay = unknownDelay };
        }

        var verified = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        var memberships = await MembershipsAsync(email, ct);
        if (verified == PasswordVerificationResult.Failed)
        {
            var (lockedUntil, delay) = throttle.RecordFailure(email, client);
            await AuditAsync(memberships, user, "account.sign_in_failed", client, null, ct);
            if (lockedUntil is { } until)
            {
                // A lockout means someone is guessing this account's password: its open sessions end too.
                await EndSessionsAsync(user.Id, "locked_out", ct);
                await AuditAsync(memberships, user, "account.locked_out", client, until, ct);
                return new SignInResult.LockedOut(until) { Delay = delay };
            }
            return new SignInResult.Invalid { Delay = delay };
        }
        throttle.RecordSuccess(email, client);
        if (verified == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password);
            await db.SaveChangesAsync(ct);
        }
        var membership = memberships.Count > 0 ? memberships[0] : null;
        if (membership is null) return new SignInResult.Invalid();
        var session = await StartSessionAsync(user, membership, client, ct);
        await AuditAsync(memberships, user, "account.signed_in", client, null, ct);
        return new SignInResult.Success(user, membership, session);
    }

    /// <summary>Opens a server-side session for a freshly authenticated member; the cookie carries its id.</summary>
    public async Task<string> StartSessionAsync(DashboardUserRecord user, Membership membership, string? client, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = ApiKeyFormat.NewId("", 32);
        db.DashboardSessions.Add(new DashboardSessionRecord
        {
            Id = id, UserId = user.Id, WorkspaceId = membership.WorkspaceId, Email = user.Email, ClientAddress = client, CreatedAt = Now,
        });
        await db.SaveChangesAsync(ct);
        return id;
    }

    /// <summary>The role a live session still has: null when the session ended or its member was removed.</summary>
    public async Task<string?> SessionRoleAsync(string sessionId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await (from s in db.DashboardSessions
                      join m in db.WorkspaceMembers on new { s.WorkspaceId, s.Email } equals new { m.WorkspaceId, m.Email }
                      where s.Id == sessionId && s.EndedAt == null
                      select (Role?)m.Role).SingleOrDefaultAsync(ct) is { } role ? WireName.Of(role) : null;
    }

    /// <summary>Ends one session (sign-out) and records it in the chain.</summary>
    public async Task EndSessionAsync(string sessionId, string? client, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var session = await db.DashboardSessions.SingleOrDefaultAsync(s => s.Id == sessionId && s.EndedAt == null, ct);
        if (session is null) return;
        session.EndedAt = Now;
        session.EndReason = "signed_out";
        await db.SaveChangesAsync(ct);
        events.Publish(new MemberAccessChanged(session.WorkspaceId)); // the member's other tabs of this session lose access now
        var user = await db.DashboardUsers.AsNoTracking().SingleOrDefaultAsync(u => u.Id == session.UserId, ct);
        if (user is not null) await AuditAsync(await MembershipsAsync(user.Email, ct), user, "account.signed_out", client, null, ct);
    }

    /// <summary>Ends every open session of a user (lockout).</summary>
    public async Task<int> EndSessionsAsync(string userId, string reason, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = Now;
        return await db.DashboardSessions.Where(s => s.UserId == userId && s.EndedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now).SetProperty(s => s.EndReason, reason), ct);
    }

    private async Task AuditAsync(IReadOnlyList<Membership> memberships, DashboardUserRecord user, string action, string? client, DateTime? lockedUntil, CancellationToken ct)
    {
        var metadata = new System.Text.Json.Nodes.JsonObject { ["client_address"] = client };
        if (lockedUntil is { } until) metadata["locked_until"] = Timestamps.ToIso(until);
        foreach (var m in memberships)
            await audit.RecordAsync(m.WorkspaceId, new Immutable.Web.Audit.AuditActor("user:" + user.Email, user.Name, "user"), action,
                "dashboard_user", user.Id, user.Email, (System.Text.Json.Nodes.JsonObject)metadata.DeepClone(), ct);
    }

    public async Task<IReadOnlyList<Membership>> MembershipsAsync(string email, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from m in db.WorkspaceMembers
                          join w in db.Workspaces on m.WorkspaceId equals w.Id
                          where m.Email == email
                          select new { m.WorkspaceId, w.Name, m.Role, m.CreatedAt }).ToListAsync(ct);
        return rows.OrderBy(r => r.CreatedAt).Select(r => new Membership(r.WorkspaceId, r.Name, WireName.Of(r.Role))).ToList();
    }

    /// <summary>The member's current role, or null when they were removed: signed-in sessions follow it.</summary>
    public async Task<string?> CurrentRoleAsync(string workspaceId, string email, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WorkspaceMembers.Where(m => m.WorkspaceId == workspaceId && m.Email == email).Select(m => (Role?)m.Role).SingleOrDefaultAsync(ct) is { } role ? WireName.Of(role) : null;
    }

    public async Task<IReadOnlyList<(WorkspaceMemberRecord Member, bool HasAccount)>> MembersAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await db.WorkspaceMembers.AsNoTracking().Where(m => m.WorkspaceId == workspaceId).ToListAsync(ct);
        var emails = members.Select(m => m.Email).ToList();
        var withAccounts = (await db.DashboardUsers.Where(u => emails.Contains(u.Email)).Select(u => u.Email).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        return members.OrderBy(m => m.Role).ThenBy(m => m.Email, StringComparer.Ordinal)
            .Select(m => (m, withAccounts.Contains(m.Email))).ToList();
    }

    /// <summary>Changes a role or removes a member (role null); a workspace always keeps at least one owner.</summary>
    public async Task<string?> ChangeMemberAsync(string workspaceId, string email, string? role, CancellationToken ct = default)
    {
        Role? parsed = null;
        if (role is not null)
        {
            if (!WireName.TryParse<Role>(role, out var known)) return "Choose owner, admin or analyst.";
            parsed = known;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var member = await db.WorkspaceMembers.SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Email == email, ct);
        if (member is null) return "No such member.";
        if (member.Role == Role.Owner && parsed != Role.Owner
            && await db.WorkspaceMembers.CountAsync(m => m.WorkspaceId == workspaceId && m.Role == Role.Owner, ct) == 1)
            return "A workspace needs at least one owner: make someone else owner first.";
        if (parsed is null)
        {
            db.WorkspaceMembers.Remove(member);
            var now = Now;
            await db.DashboardSessions.Where(s => s.WorkspaceId == workspaceId && s.Email == email && s.EndedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now).SetProperty(s => s.EndReason, "removed"), ct);
        }
        else member.Role = parsed.Value;
        await db.SaveChangesAsync(ct);
        events.Publish(new MemberAccessChanged(workspaceId)); // their open tabs lose access now
        return null;
    }

    private async Task<string> IssueTokenAsync(string purpose, string? workspaceId, string? email, Role role, TimeSpan lifetime, CancellationToken ct)
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
