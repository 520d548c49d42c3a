namespace WithCache.Server.Ui.Auth;

/// <summary>The operator UI's settings, bound from the "Ui" section (WITHCACHE_ADMIN_PASSWORD and WITHCACHE_SESSION_SECRET land there).</summary>
internal sealed class UiOptions
{
    public const string Section = "Ui";

    /// <summary>The operator password; unset or empty leaves the UI open (with a warning on every page and in the log).</summary>
    public string? AdminPassword { get; set; }

    /// <summary>When set, session cookies are protected with a key derived from it instead of the key ring in the data dir.</summary>
    public string? SessionSecret { get; set; }

    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Login attempts allowed per client address per minute.</summary>
    public int LoginAttemptsPerMinute { get; set; } = 10;
}
