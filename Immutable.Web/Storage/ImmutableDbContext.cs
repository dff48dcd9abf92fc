using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Storage;

/// <summary>
/// The store's model. SQLite uses this type (its migrations are in <c>Storage/Migrations</c>); PostgreSQL uses
/// <see cref="PostgresImmutableDbContext"/>, the same model with its own migrations. The rest of the app only sees
/// <c>IDbContextFactory&lt;ImmutableDbContext&gt;</c>.
/// </summary>
public class ImmutableDbContext : DbContext, IDataProtectionKeyContext
{
    public ImmutableDbContext(DbContextOptions<ImmutableDbContext> options) : base(options) { }

    /// <summary>For the provider-specific subclass (its options are typed to itself).</summary>
    protected ImmutableDbContext(DbContextOptions options) : base(options) { }

    public DbSet<WorkspaceRecord> Workspaces => Set<WorkspaceRecord>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();
    public DbSet<EventRecord> Events => Set<EventRecord>();
    public DbSet<EventTargetRecord> EventTargets => Set<EventTargetRecord>();
    public DbSet<ActorRecord> Actors => Set<ActorRecord>();
    public DbSet<AlertRuleRecord> AlertRules => Set<AlertRuleRecord>();
    public DbSet<AlertRecord> Alerts => Set<AlertRecord>();
    public DbSet<DetectionCheckpointRecord> DetectionCheckpoints => Set<DetectionCheckpointRecord>();
    public DbSet<RuleActorCountryRecord> RuleActorCountries => Set<RuleActorCountryRecord>();
    public DbSet<RuleTravelFixRecord> RuleTravelFixes => Set<RuleTravelFixRecord>();
    public DbSet<MonitorRecord> Monitors => Set<MonitorRecord>();
    public DbSet<ObservationRecord> Observations => Set<ObservationRecord>();
    public DbSet<ObservationEventRecord> ObservationEvents => Set<ObservationEventRecord>();
    public DbSet<UserProfileRecord> UserProfiles => Set<UserProfileRecord>();
    public DbSet<MonitorCheckpointRecord> MonitorCheckpoints => Set<MonitorCheckpointRecord>();
    public DbSet<MonitorStateRecord> MonitorStates => Set<MonitorStateRecord>();
    public DbSet<MonitorBucketDayRecord> MonitorBucketDays => Set<MonitorBucketDayRecord>();
    public DbSet<WebhookEndpointRecord> WebhookEndpoints => Set<WebhookEndpointRecord>();
    public DbSet<DeliveryRecord> Deliveries => Set<DeliveryRecord>();
    public DbSet<DeliveryAttemptRecord> DeliveryAttempts => Set<DeliveryAttemptRecord>();
    public DbSet<WorkspaceMemberRecord> WorkspaceMembers => Set<WorkspaceMemberRecord>();
    public DbSet<EmailItemRecord> EmailItems => Set<EmailItemRecord>();
    public DbSet<DashboardUserRecord> DashboardUsers => Set<DashboardUserRecord>();
    public DbSet<AccountTokenRecord> AccountTokens => Set<AccountTokenRecord>();
    public DbSet<DashboardSessionRecord> DashboardSessions => Set<DashboardSessionRecord>();
    public DbSet<ExportRecord> Exports => Set<ExportRecord>();
    public DbSet<ArchiveRecord> Archives => Set<ArchiveRecord>();
    public DbSet<RetentionCutRecord> RetentionCuts => Set<RetentionCutRecord>();
    public DbSet<CheckpointRecord> Checkpoints => Set<CheckpointRecord>();
    public DbSet<AnchorRecord> Anchors => Set<AnchorRecord>();
    public DbSet<VerificationRecord> Verifications => Set<VerificationRecord>();
    public DbSet<WorkspaceSettingsRecord> WorkspaceSettings => Set<WorkspaceSettingsRecord>();
    public DbSet<LeaseRecord> Leases => Set<LeaseRecord>();

    /// <summary>The ASP.NET Core Data Protection key ring (<see cref="DataProtectionKeyRing"/>), shared by every instance.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ImmutableDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // UTC ticks: sortable, comparable in SQL, exact to the microsecond we keep.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcTicksConverter>();
    }
}

public sealed class UtcTicksConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, long>(
    v => v.Ticks,
    v => new DateTime(v, DateTimeKind.Utc));
