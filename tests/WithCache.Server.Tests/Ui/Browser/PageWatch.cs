using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace WithCache.Server.Tests.Ui.Browser;

/// <summary>
/// Records what a page does behind the test's back: every dialog it opens (alert, confirm...) and every
/// Content-Security-Policy violation Chromium reports (an inline style or script the page tried to use).
/// </summary>
internal sealed class PageWatch
{
    private readonly ConcurrentQueue<(string Type, string Message)> _dialogs = new();
    private readonly ConcurrentQueue<string> _violations = new();

    public IReadOnlyCollection<(string Type, string Message)> Dialogs => _dialogs;

    public IReadOnlyCollection<string> PolicyViolations => _violations;

    /// <summary>Starts watching; a dialog is accepted (a confirm says yes) or dismissed.</summary>
    public static PageWatch Attach(IPage page, bool acceptDialogs)
    {
        var watch = new PageWatch();
        page.Dialog += async (_, dialog) =>
        {
            watch._dialogs.Enqueue((dialog.Type, dialog.Message));
            if (acceptDialogs)
            {
                await dialog.AcceptAsync();
            }
            else
            {
                await dialog.DismissAsync();
            }
        };
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                watch._violations.Enqueue(message.Text);
            }
        };
        return watch;
    }
}
