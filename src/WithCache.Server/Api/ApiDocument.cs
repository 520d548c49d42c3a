using Microsoft.OpenApi;

namespace WithCache.Server.Api;

/// <summary>
/// The API's OpenAPI document, made by ASP.NET Core from the endpoints themselves and served at
/// <see cref="Path"/>. Only <c>/api/v1</c> routes are in it, with the bearer scheme; no server address, so the
/// document is the same on every host and is kept in the repo as docs/openapi.json (a test compares the two).
/// </summary>
internal static class ApiDocument
{
    public const string Path = ApiEndpoints.Prefix + "/openapi.json";
    private const string SchemeName = "bearer";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith(ApiEndpoints.Prefix[1..] + "/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "withcache API",
                    Version = "v1",
                    Description = "The cache-host's operator actions as JSON. Send 'Authorization: Bearer <token>': WITHCACHE_API_TOKEN (named env) or a token made on /admin/tokens.",
                };
                document.Servers = [];
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API token",
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
                return Task.CompletedTask;
            });
        });
}
