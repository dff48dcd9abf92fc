using System.Text.Json;
using System.Text.Json.Serialization;

namespace Immutable.Web.Api;

public static class ApiJson
{
    /// <summary>snake_case in and out, nulls written (clients read explicit nulls), enums as snake_case strings.</summary>
    public static IServiceCollection ConfigureApiJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
}
