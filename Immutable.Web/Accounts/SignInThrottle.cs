using System.Collections.Concurrent;

namespace Immutable.Web.Accounts;

/// <summary>What the throttle says about a sign-in attempt before the password is checked.</summary>
public abstract record ThrottleDecision
{
    public sealed record Allowed : ThrottleDecision;
    /// <summary>This client address failed too often (any account): exponential back-off.</summary>
    public sealed record ClientBackOff(DateTime Until) : ThrottleDecision;
    /// <summary>This account is locked for this client address only; other addresses may still sign in.</summary>
    public sealed record LockedOut(DateTime Until) : ThrottleDecision;
}

/// <summary>
/// Failed sign-ins are throttled three ways, none of which lets an attacker lock the owner out:
/// <list type="number">
/// <item>per client address, across accounts: after <c>Accounts:ClientFreeFailures</c> failures within the window,
/// every further attempt from that address must wait 2^(n − free) seconds after its last failure (at most the
/// lockout time), or it is refused without checking the password;</item>
/// <item>per account and client address: <c>Accounts:MaxFailedSignIns</c> failures lock the account <em>for that
/// address</em> for <c>Accounts:LockoutMinutes</c>, doubling with each further lockout; another address with the right
/// password still signs in;</item>
/// <item>per account, across addresses: attempts on one account are checked one at a time, and once it has
/// MaxFailedSignIns recent failures each wrong password is answered only after 2^(n − max) × 250 ms (at most 8 s),
/// so guessing one account from many addresses is slowed without refusing its owner.</item>
/// </list>
/// State is in memory, per instance (a seam: a shared store can implement the same interface); a restart forgets it.
/// </summary>
public interface ISignInThrottle
{
    ThrottleDecision Check(string account, string client);

    /// <summary>Records a failure; returns the lockout it caused for this address, if any, and the delay to apply.</summary>
    (DateTime? LockedUntil, TimeSpan Delay) RecordFailure(string account, string client);

    void RecordSuccess(string account, string client);

    /// <summary>Serialises attempts on one account (item 3); null when the queue stayed busy.</summary>
    Task<IDisposable?> EnterAccountAsync(string account, CancellationToken ct);
}

public sealed class InMemorySignInThrottle(TimeProvider time, Microsoft.Extensions.Options.IOptions<AccountOptions> options) : ISignInThrottle
{
    private sealed class Counter
    {
        public readonly Queue<DateTime> Failures = new();
        public DateTime? LockedUntil;
        public int Lockouts;
        public DateTime LastFailure;
    }

    private readonly ConcurrentDictionary<string, Counter> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Account, string Client), Counter> _pairs = new();
    private readonly ConcurrentDictionary<string, Counter> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _accountGates = new(StringComparer.Ordinal);

    private AccountOptions Options => options.Value;
    private DateTime Now => time.GetUtcNow().UtcDateTime;
    private TimeSpan Window => TimeSpan.FromMinutes(Options.LockoutMinutes);

    public ThrottleDecision Check(string account, string client)
    {
        var now = Now;
        if (_clients.TryGetValue(client, out var c))
            lock (c)
            {
                Expire(c, now);
                var excess = c.Failures.Count - Options.ClientFreeFailures;
                if (excess >= 0)
                {
                    var wait = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, excess), Window.TotalSeconds));
                    if (c.LastFailure + wait > now) return new ThrottleDecision.ClientBackOff(c.LastFailure + wait);
                }
            }
        if (_pairs.TryGetValue((account, client), out var p))
            lock (p)
                if (p.LockedUntil is { } until && until > now) return new ThrottleDecision.LockedOut(until);
        return new ThrottleDecision.Allowed();
    }

    public (DateTime? LockedUntil, TimeSpan Delay) RecordFailure(string account, string client)
    {
        var now = Now;
        var c = _clients.GetOrAdd(client, _ => new Counter());
        lock (c)
        {
            Expire(c, now);
            c.Failures.Enqueue(now);
            c.LastFailure = now;
        }
        DateTime? locked = null;
        var p = _pairs.GetOrAdd((account, client), _ => new Counter());
        lock (p)
        {
            Expire(p, now);
            p.Failures.Enqueue(now);
            if (p.Failures.Count >= Options.MaxFailedSignIns)
            {
                p.Lockouts++;
                p.LockedUntil = now + Window * Math.Pow(2, Math.Min(p.Lockouts - 1, 10));
                p.Failures.Clear();
                locked = p.LockedUntil;
            }
        }
        var a = _accounts.GetOrAdd(account, _ => new Counter());
        TimeSpan delay;
        lock (a)
        {
            Expire(a, now);
            a.Failures.Enqueue(now);
            var excess = a.Failures.Count - Options.MaxFailedSignIns;
            delay = excess < 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(250 * Math.Pow(2, excess), 8000));
        }
        return (locked, delay);
    }

    public void RecordSuccess(string account, string client) => _pairs.TryRemove((account, client), out _);

    public async Task<IDisposable?> EnterAccountAsync(string account, CancellationToken ct)
    {
        var gate = _accountGates.GetOrAdd(account, _ => new SemaphoreSlim(1));
        return await gate.WaitAsync(TimeSpan.FromSeconds(30), ct) ? new Release(gate) : null;
    }

    private void Expire(Counter counter, DateTime now)
    {
        while (counter.Failures.Count > 0 && counter.Failures.Peek() < now - Window) counter.Failures.Dequeue();
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release();
        }
    }
}
