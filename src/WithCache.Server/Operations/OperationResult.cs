namespace WithCache.Server.Operations;

/// <summary>What an operator action did, with a one-line message to show.</summary>
internal sealed record OperationResult(OperationOutcome Outcome, string Message)
{
    public bool Succeeded => Outcome == OperationOutcome.Ok;

    public static OperationResult Ok(string message) => new(OperationOutcome.Ok, message);

    public static OperationResult NotFound(string message) => new(OperationOutcome.NotFound, message);

    public static OperationResult Invalid(string message) => new(OperationOutcome.Invalid, message);
}
