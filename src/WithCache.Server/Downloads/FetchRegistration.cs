using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace WithCache.Server.Downloads;

internal static class FetchRegistration
{
    /// <summary>
    /// Registers <see cref="FetchPolicy"/>, <see cref="VendorCredentials"/> and <see cref="OriginFetcher"/> as
    /// singletons and the named client <c>origin</c> on <see cref="FetchPolicy.CreatePrimaryHandler"/>. The caller
    /// adds and binds <c>AddOptions&lt;FetchOptions&gt;()</c>; a validator for it is registered here.
    /// </summary>
    public static IServiceCollection AddOriginFetching(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FetchOptions>, FetchOptionsValidator>());
        services.TryAddSingleton<FetchPolicy>();
        services.TryAddSingleton<VendorCredentials>();
        services.TryAddSingleton<OriginFetcher>();

        services.AddHttpClient(OriginFetcher.HttpClientName, client =>
            {
                // No total timeout: a multi-gigabyte fill takes as long as it takes; the idle timeout guards stalls.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("withcache-server/1.0");
            })

            // The handler factory's IServiceProvider is the framework seam for building the primary handler.
            .ConfigurePrimaryHttpMessageHandler(provider => provider.GetRequiredService<FetchPolicy>().CreatePrimaryHandler())

            // The default client loggers print full URLs (signed queries included); OriginFetcher logs what matters.
            .RemoveAllLoggers();
        return services;
    }
}
