using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Exports;

/// <summary>Exports of events to files (section "Exports").</summary>
public sealed class ExportOptions
{
    public const string Section = "Exports";

    /// <summary>Folder of the export files; null: <c>exports/</c> beside the database (the data folder).</summary>
    public string? Path { get; set; }

    /// <summary>How long a finished export can be downloaded; its file is deleted after.</summary>
    [Range(1, 24 * 30)]
    public int ExpiryHours { get; set; } = 24;

    /// <summary>Exports of one workspace pending or running at once; more are refused with 429.</summary>
    [Range(1, 100)]
    public int MaxRunningPerWorkspace { get; set; } = 5;

    /// <summary>Exports written at the same time by this host (the others wait in order).</summary>
    [Range(1, 16)]
    public int Workers { get; set; } = 1;

    /// <summary>Events read per page while writing a file: memory is one page, whatever the export's size.</summary>
    [Range(100, 100_000)]
    public int PageSize { get; set; } = 2000;

    /// <summary>How often expired export files are looked for and deleted.</summary>
    [Range(1, 24 * 60)]
    public int CleanupMinutes { get; set; } = 10;
}
