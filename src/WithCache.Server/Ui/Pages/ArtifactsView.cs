using WithCache.Server.Catalog;
using WithCache.Server.Ui.Components;

namespace WithCache.Server.Ui.Pages;

/// <summary>One page of cached artifacts, with the store's use against its cap.</summary>
internal sealed record ArtifactsView(
    IReadOnlyList<ArtifactRecord> Rows,
    long Total,
    ListState State,
    long StoredBytes,
    long ReservedBytes,
    long? MaxBytes,
    DateTimeOffset Now,
    FlashMessage? Flash);
