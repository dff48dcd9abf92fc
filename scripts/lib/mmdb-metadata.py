#!/usr/bin/env python3
"""Prints a MaxMind DB file's type and build date: `<database_type> <YYYY-MM-DD>` (UTC).

Reads only the metadata section at the end of the file (MaxMind DB spec 2.0), so no maxminddb module is needed.
Exits 1 when the file is not a MaxMind DB.
"""
import datetime
import mmap
import struct
import sys

MARKER = b"\xab\xcd\xefMaxMind.com"


def decode(buf, pos):
    ctrl = buf[pos]
    pos += 1
    kind = ctrl >> 5
    if kind == 0:  # extended type
        kind = 7 + buf[pos]
        pos += 1
    if kind == 1:
        raise ValueError("pointers are not expected in the metadata section")
    size = ctrl & 0x1F
    if size == 29:
        size = 29 + buf[pos]
        pos += 1
    elif size == 30:
        size = 285 + int.from_bytes(buf[pos:pos + 2], "big")
        pos += 2
    elif size == 31:
        size = 65821 + int.from_bytes(buf[pos:pos + 3], "big")
        pos += 3
    if kind == 2:  # utf-8 string
        return buf[pos:pos + size].decode("utf-8"), pos + size
    if kind == 3:  # double
        return struct.unpack(">d", buf[pos:pos + 8])[0], pos + 8
    if kind == 4:  # bytes
        return bytes(buf[pos:pos + size]), pos + size
    if kind in (5, 6, 9, 10):  # unsigned integers
        return int.from_bytes(buf[pos:pos + size], "big"), pos + size
    if kind == 8:  # int32
        return int.from_bytes(buf[pos:pos + size], "big", signed=True), pos + size
    if kind == 7:  # map
        result = {}
        for _ in range(size):
            key, pos = decode(buf, pos)
            result[key], pos = decode(buf, pos)
        return result, pos
    if kind == 11:  # array
        items = []
        for _ in range(size):
            item, pos = decode(buf, pos)
            items.append(item)
        return items, pos
    if kind == 14:  # boolean: the value is the size
        return bool(size), pos
    if kind == 15:  # float
        return struct.unpack(">f", buf[pos:pos + 4])[0], pos + 4
    raise ValueError(f"unexpected type {kind} in the metadata section")


def main(path):
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        start = buf.rfind(MARKER)
        if start < 0:
            print(f"{path} is not a MaxMind DB file", file=sys.stderr)
            return 1
        meta, _ = decode(buf, start + len(MARKER))
    built = datetime.datetime.fromtimestamp(meta["build_epoch"], datetime.timezone.utc)
    print(meta["database_type"], built.strftime("%Y-%m-%d"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
