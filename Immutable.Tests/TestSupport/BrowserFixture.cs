using Microsoft.Playwright;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// One headless Debian Chromium (/usr/bin/chromium, installed by test.sh) driven by Playwright for the browser tests;
/// Playwright's own browser downloads are never used. Screenshots go to the git-ignored artifacts/screenshots.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;
    public static string Screenshots => Path.Combine(TestPaths.RepositoryRoot, "artifacts", "screenshots");
    public static string Artifacts => Path.Combine(TestPaths.RepositoryRoot, "artifacts");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath)) throw new InvalidOperationException($"{ChromiumPath} is missing: test.sh installs Debian's chromium package.");
        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh context (cookies, storage) at the minimum size, 1280×720.</summary>
    public async Task<IPage> NewPageAsync(string baseUrl)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        // Playwright's own default: the browser tests share two cores with the rest of the suite in CI, where a
        // Blazor Server round trip can take seconds (a wait that fails here is a missing element, not a slow one).
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
