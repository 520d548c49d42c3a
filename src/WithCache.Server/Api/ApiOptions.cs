using System.ComponentModel.DataAnnotations;

namespace WithCache.Server.Api;

/// <summary>The JSON API's settings, bound from the "Api" section (WITHCACHE_API_TOKEN lands there).</summary>
internal sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>A token from the environment, named "env"; unset leaves only the tokens created in the UI.</summary>
    [MinLength(16, ErrorMessage = "WITHCACHE_API_TOKEN must be at least 16 characters (e.g. openssl rand -hex 32)")]
    public string? Token { get; set; }

    /// <summary>Wrong tokens accepted per client address per minute before every API request from it gets 429.</summary>
    [Range(1, 100_000)]
    public int FailedAttemptsPerMinute { get; set; } = 10;
}
