using System.Collections.Concurrent;

namespace WithCache.Client.Tests.TestSupport;

/// <summary>The caller's own handler: records every request that goes through it, then sends it for real.</summary>
public sealed class CountingHandler : DelegatingHandler
{
    private readonly ConcurrentQueue<(HttpMethod Method, Uri? Url)> _sent = new();

    public CountingHandler()
        : base(new SocketsHttpHandler())
    {
    }

    public IReadOnlyList<(HttpMethod Method, Uri? Url)> Sent => [.. _sent];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        _sent.Enqueue((request.Method, request.RequestUri));
        return base.SendAsync(request, cancellationToken);
    }
}
