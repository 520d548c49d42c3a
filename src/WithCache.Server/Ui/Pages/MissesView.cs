using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Ui.Components;

namespace WithCache.Server.Ui.Pages;

/// <summary>One page of misses, with the download job of each missed key that has one.</summary>
internal sealed record MissesView(
    IReadOnlyList<MissRecord> Rows,
    long Total,
    ListState State,
    bool Curate,
    IReadOnlyDictionary<string, JobView> Jobs,
    DateTimeOffset Now,
    FlashMessage? Flash);
