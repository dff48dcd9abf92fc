using Immutable.Web.Accounts;
using Immutable.Web.Alerts;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Components;
using Immutable.Web.Delivery;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.Detection;
using Immutable.Web.DomainEvents;
using Immutable.Web.Enrichment;
using Immutable.Web.Events;
using Immutable.Web.Exports;
using Immutable.Web.Health;
using Immutable.Web.Hosting;
using Immutable.Web.Ingest;
using Immutable.Web.Integrity;
using Immutable.Web.Jobs;
using Immutable.Web.Monitors;
using Immutable.Web.Retention;
using Immutable.Web.Search;
using Immutable.Web.Storage;
using Immutable.Web.Streams;
using Immutable.Web.Viewer;
using Immutable.Web.Workspaces;
using Scalar.AspNetCore;

if (KeysCommand.IsInvocation(args)) return await KeysCommand.RunAsync(args);
if (ArchiveCommand.IsInvocation(args)) return await ArchiveCommand.RunAsync(args, Console.Out, Console.Error);
if (IntegrityCommand.IsInvocation(args)) return await IntegrityCommand.RunAsync(args);

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json lives beside the binary; data paths stay relative to the working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

// Serve the dashboard's static assets (MudBlazor's CSS/JS) from a build output too, not only a publish folder;
// a no-op where no build manifest exists.
builder.WebHost.UseStaticWebAssets();
builder.AddDefaultListenAddress();
builder.Services.ConfigureApiJson();
builder.Services.AddApiErrorHandling();
builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
{
    doc.Info.Title = "Immutable API";
    doc.Info.Description = "Audit events in, hash-chained and geo-enriched; queries and integrity out. Auth: Bearer imk_ API keys; GET /events and /events/{id} also take read-only viewer tokens (POST /viewer-token).";
    return Task.CompletedTask;
}));
builder.AddPublicUrl();
builder.AddDomainEvents();
builder.AddStorage();
builder.AddEnrichment();
builder.AddApiKeyAuth();
builder.AddWorkspaceSettings();
builder.AddViewer();
builder.AddAccounts();
builder.AddApiRateLimiting();
builder.AddEvents();
builder.AddSearch();
builder.AddIntegrity();
builder.AddExports();
builder.AddRetention();
builder.Services.AddSingleton<AuditTrail>();
builder.AddDetection();
builder.AddMonitors();
builder.AddTriage();
builder.AddDelivery();
builder.AddLogStreams();
builder.AddJobs();
builder.AddDashboard();

var app = builder.Build();

if (!await app.Services.TryMigrateDatabaseAsync()) return 1;

app.UseTrustedProxyForwarding();
app.UseSecurityHeaders();
app.UseApiErrorHandling();
app.UseAuthentication();
app.UseIpAllowlist();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();

app.MapOpenApi("/openapi/{documentName}.json");
app.MapScalarApiReference("/docs/api", o => o.WithTitle("Immutable API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
app.MapHealth();
app.MapDelivery();
app.MapExportDownload();
app.MapPublicIntegrity();

var api = app.MapGroup("/api/v1")
    .RequireAuthorization(AuthExtensions.ApiKeyPolicy)
    .RequireRateLimiting(RateLimiting.PerWorkspace);
api.MapIngestApi();
api.MapIntegrityApi();
api.MapExportsApi();
api.MapRetentionApi();
api.MapAlertRulesApi();
api.MapAlertsApi();
api.MapMonitorsApi();
api.MapObservationsApi();
api.MapWebhooksApi();
api.MapWorkspaceSettingsApi();
api.MapLogStreamsApi();
api.MapViewerTokenApi();
api.MapSearchApi();

// The reads of events also take viewer tokens (their scope forced); every other route takes API keys only.
var reads = app.MapGroup("/api/v1")
    .RequireAuthorization(ViewerAuth.ReadPolicy)
    .RequireRateLimiting(RateLimiting.PerWorkspace);
reads.MapEventsApi();

app.MapViewerPage();
app.MapAccounts();
app.MapIntegrityDownloads();
app.MapDashboard();

await app.RunAsync();
return 0;

/// <summary>Entry point type, public for WebApplicationFactory in tests.</summary>
public partial class Program;
