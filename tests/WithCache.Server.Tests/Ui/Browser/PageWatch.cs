using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace WithCache.Server.Tests.Ui.Browser;

/// <summary>
/// Records what a page does behind the test's back: every dialog it opens (alert, confirm...), every
/// Content-Security-Policy violation Chromium reports (an inline style or script the page tried to use), every
/// console error or uncaught exception, and the URL of every request it makes.
/// </summary>
internal sealed class PageWatch
{
    private readonly ConcurrentQueue<(string Type, string Message)> _dialogs = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentQueue<string> _requests = new();

    public IReadOnlyCollection<(string Type, string Message)> Dialogs => _dialogs;

    public IReadOnlyCollection<string> PolicyViolations => _violations;

    public IReadOnlyCollection<string> Errors => _errors;

    public IReadOnlyCollection<string> Requests => _requests;

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

            // Chromium asks for /favicon.ico on its own; the UI has none, and that 404 is nothing the page did.
            if (message.Type == "error" && !message.Location.Contains("/favicon.ico:", StringComparison.Ordinal))
            {
                watch._errors.Enqueue(message.Text + " at " + message.Location);
            }
        };
        page.PageError += (_, error) => watch._errors.Enqueue(error);
        page.Request += (_, request) => watch._requests.Enqueue(request.Url);
        return watch;
    }
}
