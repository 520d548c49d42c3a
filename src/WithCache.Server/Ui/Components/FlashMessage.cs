using Microsoft.Extensions.Primitives;
using WithCache.Server.Operations;

namespace WithCache.Server.Ui.Components;

/// <summary>What the last action did, shown at the top of the page (carried across the redirect after a POST in the query string).</summary>
internal sealed record FlashMessage(bool Ok, string Text)
{
    public static FlashMessage From(OperationResult result) => new(result.Succeeded, result.Message);

    public static FlashMessage? Read(Func<string, StringValues> value)
    {
        var text = value("done").ToString();
        return text.Length == 0 ? null : new FlashMessage(value("ok").ToString() == "1", text.Length > 500 ? text[..500] : text);
    }

    public IEnumerable<KeyValuePair<string, string?>> Fields()
    {
        yield return new("done", Text);
        yield return new("ok", Ok ? "1" : "0");
    }
}
