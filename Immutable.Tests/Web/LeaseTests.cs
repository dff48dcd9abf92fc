using Immutable.Tests.TestSupport;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>
/// The database leases every multi-instance claim is built on, on a real store (SQLite here, PostgreSQL in ./test.sh's
/// second run): two owners stand for two instances sharing one database; the test's clock decides expiry.
/// </summary>
[Trait("Postgres", "run")]
public sealed class LeaseTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private LeaseStore Owner(string id) =>
        new(_app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>(), new LeaseOwner(id), _app.Time);

    [Fact]
    public async Task Lease_TwoOwnersRaceForOneName_ExactlyOneHoldsIt()
    {
        var a = Owner("instance-a");
        var b = Owner("instance-b");
        for (var round = 0; round < 5; round++)
        {
            var name = "race:" + round;
            using var go = new ManualResetEventSlim();
            var racers = Enumerable.Range(0, 16).Select(i => (Store: i % 2 == 0 ? a : b, Task: Task.Run(async () =>
            {
                go.Wait();
                return await (i % 2 == 0 ? a : b).TryAcquireAsync(name, TimeSpan.FromSeconds(30), CancellationToken.None);
            }))).ToList();
            go.Set();
            await Task.WhenAll(racers.Select(r => r.Task));
            var winners = racers.Where(r => r.Task.Result).Select(r => r.Store.Owner).Distinct().ToList();
            Assert.Single(winners);
            await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
            Assert.Equal(winners[0], (await db.Leases.SingleAsync(l => l.Name == name)).Owner);
        }
    }

    [Fact]
    public async Task Lease_HeldByDeadOwner_TakenByAnotherOnlyAfterExpiry()
    {
        var dead = Owner("instance-dead");
        var live = Owner("instance-live");
        Assert.True(await dead.TryAcquireAsync("detection:ws", TimeSpan.FromSeconds(20), CancellationToken.None));
        Assert.True(await dead.TryAcquireAsync("detection:ws", TimeSpan.FromSeconds(20), CancellationToken.None)); // renewal
        Assert.False(await live.TryAcquireAsync("detection:ws", TimeSpan.FromSeconds(20), CancellationToken.None));

        _app.Time.Advance(TimeSpan.FromSeconds(19));
        Assert.False(await live.TryAcquireAsync("detection:ws", TimeSpan.FromSeconds(20), CancellationToken.None));
        _app.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await live.TryAcquireAsync("detection:ws", TimeSpan.FromSeconds(20), CancellationToken.None));
        // The one that stopped renewing comes back: the lease is no longer its own.
        Assert.False(await dead.TryAcquireAsync("detection:ws", TimeSpan.FromSeconds(20), CancellationToken.None));
    }

    [Fact]
    public async Task Lease_Released_TakenByAnotherAtOnce()
    {
        var a = Owner("instance-a");
        var b = Owner("instance-b");
        Assert.True(await a.TryAcquireAsync("export:exp_1", TimeSpan.FromMinutes(1), CancellationToken.None));
        await b.ReleaseAsync("export:exp_1", CancellationToken.None); // not b's to release: nothing happens
        Assert.False(await b.TryAcquireAsync("export:exp_1", TimeSpan.FromMinutes(1), CancellationToken.None));
        await a.ReleaseAsync("export:exp_1", CancellationToken.None);
        Assert.True(await b.TryAcquireAsync("export:exp_1", TimeSpan.FromMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task Lease_PeriodClaim_OnceClusterWidePerPeriod()
    {
        var a = Owner("instance-a");
        var b = Owner("instance-b");
        var minute = new DateTime(2026, 3, 27, 14, 0, 0, DateTimeKind.Utc);
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).TryClaimPeriodAsync("period-test", minute, CancellationToken.None))));
        Assert.Equal(1, claims.Count(c => c));
        Assert.False(await a.TryClaimPeriodAsync("period-test", minute, CancellationToken.None));
        Assert.False(await b.TryClaimPeriodAsync("period-test", minute.AddMinutes(-1), CancellationToken.None));
        Assert.True(await b.TryClaimPeriodAsync("period-test", minute.AddMinutes(1), CancellationToken.None));
        Assert.False(await a.TryClaimPeriodAsync("period-test", minute.AddMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task Lease_Throttle_TakenAgainOnlyWhenItsEndHasPassed()
    {
        var a = Owner("instance-a");
        var b = Owner("instance-b");
        var now = _app.Time.GetUtcNow().UtcDateTime;
        Assert.True(await a.TryTakeExpiredAsync("email:ws", now.AddMinutes(5), CancellationToken.None));
        Assert.False(await a.TryTakeExpiredAsync("email:ws", now.AddMinutes(5), CancellationToken.None)); // its own too
        await a.SetExpiryAsync("email:ws", now.AddSeconds(60), CancellationToken.None);
        _app.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(await b.TryTakeExpiredAsync("email:ws", now.AddMinutes(6), CancellationToken.None));
        _app.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await b.TryTakeExpiredAsync("email:ws", now.AddMinutes(6), CancellationToken.None));
    }
}
