namespace WithCache.Shim.Tests.Install;

/// <summary>A fact that is reported as skipped, with the reason, where <c>systemd-analyze</c> is not installed.</summary>
public sealed class SystemdAnalyzeFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/systemd-analyze";

    public SystemdAnalyzeFactAttribute()
    {
        if (!File.Exists(Path))
        {
            Skip = $"{Path} is not installed (Debian: apt-get install systemd)";
        }
    }
}
