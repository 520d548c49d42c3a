namespace WithCache.Core;

/// <summary>A refused input, with a one-line reason fit for a <c>400</c> body or a shim debug line.</summary>
public sealed record ProtocolError(ProtocolErrorKind Kind, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => Reason;
}
