using Microsoft.AspNetCore.Authorization;

namespace WithCache.Server.Ui.Auth;

/// <summary>Met by a signed-in operator, or by anyone when no password is set (see <see cref="OperatorAuthorizationHandler"/>).</summary>
internal sealed class OperatorRequirement : IAuthorizationRequirement;
