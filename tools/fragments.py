#!/usr/bin/env python3
"""Chooses the fragments src/words.rs packs scythe's texts with, and prints
the FRAGMENTS table to paste there.

It reads every `packed!(b"...")` and `packed!(b"...", true)` in src/, then
picks, one at a time, the fragment that saves the most bytes (each use
saves its length less one; the table costs its length plus one), as
src/words.rs packs: in table order, never across a line end, a NUL or a
tab, nor in a help line's head (`true`). Usage: tools/fragments.py
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_FRAGMENTS = 128
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
    """Every packed text of src/, as (bytes, plain_heads)."""
    found = []
    for path in sorted(ROOT.glob("src/**/*.rs")):
        source = path.read_text()
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


def pack(piece, table):
    """How many bytes `piece` packs into, as src/words.rs packs it."""
    at = count = 0
    while at < len(piece):
        for fragment in table:
            if piece.startswith(fragment, at):
                at += len(fragment)
                break
        else:
            at += 1
        count += 1
    return count


def count(piece, fragment):
    """Non-overlapping uses of `fragment` in `piece`, left to right."""
    return piece.count(fragment)


def main():
    corpus = [p for text, heads in texts() for p in pieces(text, heads)]
    plain = sum(len(p) for p in corpus)
    table = []
    # Each round takes the fragment that saves the most now, then splits
    # every piece where it is used: what is left may still hold others.
    while len(table) < MAX_FRAGMENTS:
        uses = {}
        for piece in corpus:
            for n in range(2, 17):
                for i in range(len(piece) - n + 1):
                    fragment = piece[i : i + n]
                    uses[fragment] = uses.get(fragment, 0) + 1
        best, best_saving = None, 0
        # Overlapping uses counted first, cheaply; the best few recounted.
        rough = sorted(uses, key=lambda f: uses[f] * (len(f) - 1) - len(f), reverse=True)
        for fragment in rough[:200]:
            saving = sum(count(p, fragment) for p in corpus) * (len(fragment) - 1) - len(fragment) - 1
            if saving > best_saving:
                best, best_saving = fragment, saving
        if best is None:
            break
        table.append(best)
        corpus = [part for p in corpus for part in p.split(best) if part]
    packed = sum(pack(p, table) for text, heads in texts() for p in pieces(text, heads))
    packed += sum(len(f) + 1 for f in table)
    print(f"// {plain} bytes packable; packed with the table: {packed} ({plain - packed} saved)")
    line = ""
    rows = []
    for fragment in table:
        entry = f"\\x{len(fragment):02x}" + "".join(
            "\\\\" if c == "\\" else '\\"' if c == '"' else c for c in fragment.decode()
        )
        if len(line) + len(entry) > 76:
            rows.append(line)
            line = ""
        line += entry
    rows.append(line)
    print('const FRAGMENTS: &[u8] = b"\\\n' + "\\\n".join(rows) + '";')


if __name__ == "__main__":
    main()
