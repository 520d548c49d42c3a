namespace WithCache.Server.Tests.Hosting;

/// <summary>
/// Tests that stop radosgw or PostgreSQL: every other test using the engines would fail meanwhile, so xunit runs
/// this collection on its own, after the others.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineOutageCollection
{
    public const string Name = "engine outages";
}
