using System.Text;

namespace Immutable.Tests.Hardening;

/// <summary>
/// Writes a minimal MaxMind DB (format 2.0, IPv4 tree, 24-bit records) that locates one /8 network in a made-up
/// country and city, with a chosen build time: a second, distinguishable database for reload tests.
/// </summary>
internal static class TinyGeoDatabase
{
    public static void Write(string path, byte firstOctet, string countryCode, string city, DateTimeOffset builtAt)
    {
        const int nodeCount = 8;
        const int empty = nodeCount;          // "no data" record value
        const int firstData = nodeCount + 16; // data section offset 0
        var bytes = new List<byte>();
        for (var i = 0; i < nodeCount; i++)
        {
            var bit = (firstOctet >> (7 - i)) & 1;
            var onPath = i == nodeCount - 1 ? firstData : i + 1;
            Record(bytes, bit == 0 ? onPath : empty);
            Record(bytes, bit == 1 ? onPath : empty);
        }
        bytes.AddRange(new byte[16]); // data section separator

        // {"country":{"iso_code":..},"city":{"names":{"en":..}}}
        Map(bytes, 2);
        Text(bytes, "country"); Map(bytes, 1); Text(bytes, "iso_code"); Text(bytes, countryCode);
        Text(bytes, "city"); Map(bytes, 1); Text(bytes, "names"); Map(bytes, 1); Text(bytes, "en"); Text(bytes, city);

        bytes.AddRange([0xAB, 0xCD, 0xEF, .. "MaxMind.com"u8]);
        Map(bytes, 9);
        Text(bytes, "node_count"); Unsigned(bytes, 6, nodeCount);
        Text(bytes, "record_size"); Unsigned(bytes, 5, 24);
        Text(bytes, "ip_version"); Unsigned(bytes, 5, 4);
        Text(bytes, "database_type"); Text(bytes, "GeoLite2-City");
        Text(bytes, "languages"); bytes.AddRange([0x01, 0x04]); Text(bytes, "en"); // array (extended type 11) of one
        Text(bytes, "binary_format_major_version"); Unsigned(bytes, 5, 2);
        Text(bytes, "binary_format_minor_version"); Unsigned(bytes, 5, 0);
        Text(bytes, "build_epoch"); bytes.AddRange([0x04, 0x02]); BigEndian(bytes, (uint)builtAt.ToUnixTimeSeconds(), 4); // uint64 (extended type 9)
        Text(bytes, "description"); Map(bytes, 1); Text(bytes, "en"); Text(bytes, "test database");
        File.WriteAllBytes(path, [.. bytes]);
    }

    private static void Record(List<byte> bytes, int value) => BigEndian(bytes, (uint)value, 3);

    private static void Map(List<byte> bytes, int entries) => bytes.Add((byte)(0xE0 | entries));

    private static void Text(List<byte> bytes, string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        if (utf8.Length >= 29) throw new ArgumentException("short strings only", nameof(text));
        bytes.Add((byte)(0x40 | utf8.Length));
        bytes.AddRange(utf8);
    }

    /// <summary>uint16 (type 5) or uint32 (type 6), in as few bytes as the value needs.</summary>
    private static void Unsigned(List<byte> bytes, int type, uint value)
    {
        var size = value == 0 ? 0 : value < 0x100 ? 1 : value < 0x10000 ? 2 : 4;
        bytes.Add((byte)((type << 5) | size));
        BigEndian(bytes, value, size);
    }

    private static void BigEndian(List<byte> bytes, uint value, int size)
    {
        for (var i = size - 1; i >= 0; i--) bytes.Add((byte)(value >> (8 * i)));
    }
}
