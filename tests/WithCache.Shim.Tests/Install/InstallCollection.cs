namespace WithCache.Shim.Tests.Install;

/// <summary>
/// The install tests run one after another: each install.sh run is a <c>dotnet publish</c> of the shim, and two at
/// once would share its obj/ folder. They share one install (into a temp prefix) made by <see cref="InstalledShim"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class InstallCollection : ICollectionFixture<InstalledShim>
{
    public const string Name = "Install";
}
