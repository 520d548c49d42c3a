using System.ComponentModel;
using Microsoft.AspNetCore.Mvc;

namespace WithCache.Server.Api;

/// <summary>The query of a list request; checked by <see cref="ApiEndpoints"/>, which answers 400 with the field at fault.</summary>
internal sealed record ListParameters(
    [property: FromQuery(Name = "offset"), Description("Rows to skip (default 0).")] int? Offset,
    [property: FromQuery(Name = "limit"), Description("Rows per page, 1 to 200 (default 50).")] int? Limit,
    [property: FromQuery(Name = "filter"), Description("Only rows whose key (for events: actor, action or subject) contains this text.")] string? Filter,
    [property: FromQuery(Name = "sort"), Description("The column to sort by; see the operation for the choices (default: the first).")] string? Sort,
    [property: FromQuery(Name = "order"), Description("asc or desc (default desc, asc when sorting by key).")] string? Order);
