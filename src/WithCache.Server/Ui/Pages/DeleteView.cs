using WithCache.Server.Ui.Components;

namespace WithCache.Server.Ui.Pages;

/// <summary>The confirmation asked before deleting an artifact when the browser runs no JavaScript.</summary>
internal sealed record DeleteView(string Key, ListState State);
