#!/usr/bin/env python3
"""Chooses the pairs src/words.rs packs scythe's texts with, and prints the
PAIRS table to paste there.

It reads every `packed!(b"...")` and `packed!(b"...", true)` in src/ and
packs them as src/words.rs does, a pair at a time: each round takes the
pair of adjacent symbols (bytes, or pairs taken before) used most often,
and a new byte stands for it wherever it is used, left to right. A use
saves a byte and the table costs two, so a pair used fewer than three times
is not taken. Pairs never span a line end, a NUL or a tab, nor touch a help
line's head (`true`), and none nests deeper than MAX_DEPTH (the unpacker
recurses that deep). Usage: tools/pairs.py
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_PAIRS = 128
MAX_DEPTH = 8
ESCAPES = {"n": "\n", "t": "\t", "0": "\0", "\\": "\\", "'": "'", '"': '"', "r": "\r"}


def literal(source, at):
    """The byte string literal starting at source[at] (just after b"), and
    where it ends."""
    out = []
    while source[at] != '"':
        if source[at] == "\\":
            code = source[at + 1]
            if code == "\n":  # a continuation: skip the line end and indent
                at += 2
                while source[at] in " \t\n":
                    at += 1
                continue
            if code == "x":
                out.append(chr(int(source[at + 2 : at + 4], 16)))
                at += 4
                continue
            out.append(ESCAPES[code])
            at += 2
        else:
            out.append(source[at])
            at += 1
    return "".join(out).encode(), at + 1


def texts():
    """Every packed text of src/ but its tests, as (bytes, plain_heads)."""
    found = []
    for path in sorted(ROOT.glob("src/**/*.rs")):
        source = path.read_text().split("#[cfg(test)]\nmod tests")[0]
        for match in re.finditer(r'packed!\(\s*b"', source):
            text, end = literal(source, match.end())
            heads = re.match(r"\s*,\s*true", source[end:]) is not None
            found.append((text, heads))
    return found


def pieces(text, heads):
    """The parts of `text` a fragment may cover."""
    lines = text.split(b"\n")
    out = []
    for line in lines:
        if heads and b"\t" in line:
            line = line.split(b"\t", 1)[1]
        out.extend(part for part in re.split(b"[\t\0]", line) if part)
    return out


def merge(piece, pair, symbol):
    """`piece` with `symbol` for each use of `pair`, left to right."""
    out, at = [], 0
    while at < len(piece):
        if tuple(piece[at : at + 2]) == pair:
            out.append(symbol)
            at += 2
        else:
            out.append(piece[at])
            at += 1
    return out


def main():
    corpus = [list(p) for text, heads in texts() for p in pieces(text, heads)]
    plain = sum(len(p) for p in corpus)
    table, depth = [], {}
    while len(table) < MAX_PAIRS:
        uses = {}
        for piece in corpus:
            for pair in zip(piece, piece[1:]):
                if max(depth.get(s, 0) for s in pair) < MAX_DEPTH:
                    uses[pair] = uses.get(pair, 0) + 1
        # Counted overlapping ("eee" twice), so the best is counted again.
        ranked = sorted(uses, key=lambda pair: -uses[pair])[:20]
        best = max(ranked, default=None, key=lambda pair: sum(len(p) - len(merge(p, pair, 0)) for p in corpus))
        if best is None or sum(len(p) - len(merge(p, best, 0)) for p in corpus) < 3:
            break
        symbol = 0x80 + len(table)
        table.append(best)
        depth[symbol] = 1 + max(depth.get(s, 0) for s in best)
        corpus = [merge(p, best, symbol) for p in corpus]
    packed = sum(len(p) for p in corpus) + 2 * len(table)
    print(f"// {plain} bytes packable; packed with the table: {packed} ({plain - packed} saved)")
    def spell(symbol):
        if symbol >= 0x80 or chr(symbol) in '\\"':
            return f"\\x{symbol:02x}"
        return chr(symbol)
    rows, line = [], ""
    for pair in table:
        entry = "".join(spell(s) for s in pair)
        if len(line) + len(entry) > 76:
            rows.append(line)
            line = ""
        line += entry
    rows.append(line)
    # A line continued in a Rust string loses the next line's leading blanks.
    rows = ["\\x20" + row[1:] if row.startswith(" ") else row for row in rows]
    print(f"const PAIRS: [[u8; 2]; {len(table)}] = as_pairs(\n    b\"\\\n" + "\\\n".join(rows) + "\",\n);")


if __name__ == "__main__":
    main()
