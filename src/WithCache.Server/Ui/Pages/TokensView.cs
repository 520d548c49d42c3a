using WithCache.Server.Catalog;
using WithCache.Server.Ui.Components;

namespace WithCache.Server.Ui.Pages;

/// <summary>The API tokens page: the tokens, whether WITHCACHE_API_TOKEN is set, and a token just created (shown this once).</summary>
internal sealed record TokensView(IReadOnlyList<ApiTokenRecord> Tokens, bool EnvToken, string? NewName, string? NewToken, FlashMessage? Flash);
