using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Immutable.Web.Retention;

/// <summary>Retention and archives (section "Retention"); how long is set per workspace (retention_days).</summary>
public sealed class RetentionOptions : IValidatableObject
{
    public const string Section = "Retention";
    public const int MaxRetentionDays = 36_500;

    /// <summary>Folder of the archives; null: <c>archive/</c> in the data folder (<c>data/archive/</c> by default).</summary>
    public string? ArchivePath { get; set; }

    /// <summary>When the daily retention job runs, UTC, "HH:mm".</summary>
    public string RunAt { get; set; } = "03:30";

    /// <summary>Events deleted per transaction once their archive is verified: small, so ingest waits little for the write lock.</summary>
    [Range(100, 100_000)]
    public int DeleteBatchSize { get; set; } = 2000;

    /// <summary>Events read per page while writing an archive (memory is one page).</summary>
    [Range(100, 100_000)]
    public int PageSize { get; set; } = 2000;

    /// <summary>The default run time, for a schedule built before the options are validated.</summary>
    public static TimeOnly DefaultRunAt { get; } = new(3, 30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!TimeOnly.TryParseExact(RunAt, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            yield return new ValidationResult("Retention:RunAt must be a UTC time of day as HH:mm, e.g. 03:30.", [nameof(RunAt)]);
    }
}
