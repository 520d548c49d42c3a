namespace WithCache.Server.Tests.TestSupport;

/// <summary>The browser tests run one after another over one shared Chromium.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
