using System.Globalization;

namespace WithCache.Server.Hosting;

/// <summary>Sizes as an operator writes them: <c>500M</c>, <c>50G</c>, <c>1T</c>, <c>1.5G</c>, <c>2GiB</c> or plain bytes (powers of 1024).</summary>
internal static class ByteSize
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            return false;
        }

        var end = value.Length;
        if (value.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
        {
            end -= 2;
        }
        else if (value.EndsWith('B') || value.EndsWith('b'))
        {
            end -= 1;
        }

        var unit = end > 0 ? char.ToUpperInvariant(value[end - 1]) : '\0';
        var shift = unit switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            'P' => 50,
            _ => 0,
        };
        var number = shift == 0 ? value[..end] : value[..(end - 1)];
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        var total = amount * (1L << shift);
        if (total > long.MaxValue || total < 1)
        {
            return false;
        }

        bytes = (long)total;
        return true;
    }

    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
