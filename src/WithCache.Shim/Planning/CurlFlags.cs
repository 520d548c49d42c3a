namespace WithCache.Shim.Planning;

/// <summary>
/// What the curl planner remembers across options: globbing switched off, a remote file name asked for, and what
/// decides whether curl follows a redirect (the last <c>--location</c>/<c>--no-location</c>, the last
/// <c>--max-redirs</c>, any <c>--proto-redir</c>, the last <c>--include</c>).
/// </summary>
internal struct CurlFlags
{
    public bool GlobOff;
    public bool RemoteName;
    public bool Location;
    public bool MaxRedirsZero;
    public bool ProtoRedir;
    public bool Include;
}
