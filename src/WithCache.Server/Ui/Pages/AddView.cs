using WithCache.Server.Ui.Components;

namespace WithCache.Server.Ui.Pages;

/// <summary>The Add from URI form, with the URL to show again after a refusal.</summary>
internal sealed record AddView(string? Url, FlashMessage? Flash);
