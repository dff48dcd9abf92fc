using Immutable.Domain;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Immutable.Web.Storage;

/// <summary>
/// Stores an enum as its <see cref="WireName"/> (<c>high</c>, <c>acknowledged</c>, <c>repeated_action</c>): the text
/// these columns always held, so the API, the database and SQL written by hand read the same words.
/// </summary>
public sealed class WireNameConverter<T>() : ValueConverter<T, string>(v => WireName.Of(v), s => WireName.Parse<T>(s))
    where T : struct, Enum;
