using Microsoft.AspNetCore.Authorization;

namespace WithCache.Server.Ui.Auth;

internal sealed class OperatorAuthorizationHandler(UiAccess access) : AuthorizationHandler<OperatorRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OperatorRequirement requirement)
    {
        if (access.IsOpen || context.User.Identity?.IsAuthenticated == true)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
