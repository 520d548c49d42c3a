using Microsoft.Playwright;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// One headless Chromium (Debian's, at /usr/bin/chromium; never a downloaded one) shared by every browser test: a
/// launch costs about a second of a 2-core machine, a fresh context per test costs almost nothing and keeps cookies apart.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>How long a page condition may take to appear: generous, because CI shares 2 cores with the server.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser is not started");

    /// <summary>Where each test's screenshots go: the test output folder.</summary>
    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout((float)Patience.TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        });
    }

    /// <summary>A fresh browser profile (no cookies) at a desktop size, or a phone's with <paramref name="width"/> 390.</summary>
    public async Task<IBrowserContext> NewContextAsync(string baseUrl, int width = 1280, int height = 900, bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            JavaScriptEnabled = javaScript,
            IsMobile = width < 600,
            HasTouch = width < 600,
            DeviceScaleFactor = 1,
        });
        context.SetDefaultTimeout((float)Patience.TotalMilliseconds);
        return context;
    }

    /// <summary>
    /// Writes a full-page PNG into the test output folder and returns its path. The caret is left alone: hiding it
    /// leaves <c>style=""</c> on every input, which htmx's settle copies onto a swapped-in element of the same id,
    /// and the CSP then reports an inline style the page never had.
    /// </summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDir);
        var path = Path.Combine(ScreenshotDir, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Caret = ScreenshotCaret.Initial });
        return path;
    }

    /// <summary>
    /// Copies a screenshot to docs/screenshots/ of the repository (the README shows them) when
    /// WITHCACHE_UPDATE_SCREENSHOTS=1, so that an ordinary test run leaves the checked-in PNGs alone.
    /// </summary>
    public static void Publish(string screenshot, string name)
    {
        if (Environment.GetEnvironmentVariable("WITHCACHE_UPDATE_SCREENSHOTS") != "1")
        {
            return;
        }

        var root = RepositoryRoot();
        var docs = Path.Combine(root, "docs", "screenshots");
        Directory.CreateDirectory(docs);
        File.Copy(screenshot, Path.Combine(docs, name + ".png"), overwrite: true);
    }

    /// <summary>The folder that holds WithCache.slnx, above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WithCache.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("WithCache.slnx not found above " + AppContext.BaseDirectory);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
