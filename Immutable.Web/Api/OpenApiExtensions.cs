namespace Immutable.Web.Api;

public static class OpenApiExtensions
{
    /// <summary>Declares the error envelope for the listed statuses so the OpenAPI document shows every failure.</summary>
    public static RouteHandlerBuilder ProducesProblemEnvelope(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses) builder.Produces<ApiError>(status, "application/json");
        return builder;
    }
}
