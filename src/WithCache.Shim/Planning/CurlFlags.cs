namespace WithCache.Shim.Planning;

/// <summary>What the curl planner remembers across options: globbing switched off, and a remote file name asked for.</summary>
internal struct CurlFlags
{
    public bool GlobOff;
    public bool RemoteName;
}
