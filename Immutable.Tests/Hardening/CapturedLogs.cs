using System.Collections.Concurrent;
using Immutable.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Immutable.Tests.Hardening;

/// <summary>Every log entry the host writes, kept for assertions.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(LogLevel Level, string Category, string Message);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IEnumerable<Entry> Warnings(string category) => Entries.Where(e => e.Level == LogLevel.Warning && e.Category == category);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) logs.Entries.Enqueue(new Entry(logLevel, category, formatter(state, exception)));
        }
    }
}

/// <summary>The real host (<see cref="ImmutableAppFactory"/>) with its logs captured and the fake clock starting where the test says.</summary>
public sealed class LoggedAppFactory(DateTimeOffset? start = null) : ImmutableAppFactory(null, start)
{
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
    }
}
