namespace Immutable.Web.Components.Shared.Charts;

/// <summary>
/// Country outlines for <see cref="WorldMap"/>: SVG paths in a 960 × 470 Equal Earth projection, keyed by ISO 3166
/// alpha-2 code, read once from the embedded world-110m.tsv (Natural Earth 1:110m, public domain; made by
/// scripts/make-world-map.mjs). Countries too small for that scale (Singapore, Malta…) have no shape: they are still
/// listed under the map.
/// </summary>
public static class WorldMapShapes
{
    public const int Width = 960;
    public const int Height = 470;

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Shapes = new(Load);

    public static IReadOnlyDictionary<string, string> All => Shapes.Value;

    private static Dictionary<string, string> Load()
    {
        using var stream = typeof(WorldMapShapes).Assembly.GetManifestResourceStream("Immutable.Web.world-110m.tsv")
            ?? throw new InvalidOperationException("The embedded world map (world-110m.tsv) is missing from the build.");
        using var reader = new StreamReader(stream);
        var shapes = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab == 2) shapes[line[..tab]] = line[(tab + 1)..];
        }
        return shapes;
    }
}
