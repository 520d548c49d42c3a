namespace WithCache.Server.Operations;

internal enum OperationOutcome
{
    Ok,
    NotFound,
    Invalid,
}
