#!/usr/bin/env python3
"""Measures, for every function of src/, whether an inline attribute makes
the binaries smaller, and prints the set of attributes that does.

At opt-level "z", LLVM inlines by a rule of thumb that often misjudges what
a call costs here (a call on aarch64 or x86 also costs the registers it
clobbers). So each function outside the unit tests is tried the other way:
with no `#[inline(...)]` yet, both `#[inline(never)]` and
`#[inline(always)]`; with one, without it; and, unless it has it,
`#[cold]`, which has LLVM optimise it for size, as rarely run. Each try
builds the three tightest builds (arm64, amd64, 386), stripped as `make
dist` strips them, in a clone of the repository with src/ as it is in the
working tree (which is left alone). Then the tries that made the three
together smaller are combined, best first, each kept only if it still does
and adds at most SLACK bytes to any build.

The attributes it settles on are marked in the source with a comment that
names this tool. Rerun it when the code has changed much: what it chose
can stop paying. It takes about 45 minutes on two cores for all of src/.
Usage: tools/inline.py [--jobs N] [FILE.rs ...]
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = {
    "arm64": "aarch64-unknown-linux-musl",
    "amd64": "x86_64-unknown-linux-musl",
    "386": "i686-unknown-linux-musl",
}
# A kept attribute may make one build this much larger if the three
# together get smaller (a word of alignment, often).
SLACK = 8


def objcopy():
    """The pinned toolchain's llvm-objcopy, found as the Makefile finds it."""
    rustc = lambda *args: subprocess.check_output(["rustc", *args], text=True, cwd=ROOT)
    host = next(l[6:] for l in rustc("-vV").splitlines() if l.startswith("host: "))
    return f"{rustc('--print', 'sysroot').strip()}/lib/rustlib/{host}/bin/llvm-objcopy"


OBJCOPY = objcopy()
FUNCTION = re.compile(r'^\s*(pub(\([a-z]+\))? )?(const )?(unsafe )?(extern "C" )?fn \w+')


def candidates(only):
    """(file, line index, change) for every function outside test modules:
    `never`, `always` or `cold` to add that attribute before the line,
    `remove` to take the inline attribute on that line away."""
    found = []
    for path in sorted((ROOT / "src").glob("*.rs")):
        if path.name == "properties.rs" or (only and path.name not in only):
            continue
        lines = path.read_text().split("\n")
        for at, line in enumerate(lines):
            if line.startswith("#[cfg(test)]") and lines[at + 1].startswith("mod "):
                break
            if not FUNCTION.match(line) or "{" not in "".join(lines[at : at + 8]):
                continue
            above, attribute, cold = at - 1, None, False
            while above >= 0 and lines[above].strip().startswith(("#[", "//")):
                if lines[above].strip().startswith("#[inline"):
                    attribute = above
                cold |= lines[above].strip() == "#[cold]"
                above -= 1
            if attribute is None:
                found += [(path.name, at, "never"), (path.name, at, "always")]
            else:
                found.append((path.name, attribute, "remove"))
            if not cold:
                found.append((path.name, at, "cold"))
    return found


def apply(tree, changes):
    """Writes src/ of `tree` as the working tree's with `changes` made."""
    shutil.copytree(ROOT / "src", tree / "src", dirs_exist_ok=True)
    by_file = {}
    for name, at, change in changes:
        by_file.setdefault(name, []).append((at, change))
    for name, file_changes in by_file.items():
        lines = (ROOT / "src" / name).read_text().split("\n")
        for at, change in sorted(file_changes, reverse=True):
            indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
            if change == "remove":
                del lines[at]
            elif change == "cold":
                lines.insert(at, f"{indent}#[cold]")
            else:
                lines.insert(at, f"{indent}#[inline({change})]")
        (tree / "src" / name).write_text("\n".join(lines))


def sizes(tree):
    """The stripped size of each build of `tree`, or None if one fails."""
    result = {}
    for arch, triple in TARGETS.items():
        build = subprocess.run(
            ["cargo", "build", "-q", "--release", "--target", triple, "--bin", "scythe"],
            cwd=tree,
            env=dict(os.environ, CARGO_TARGET_DIR=str(tree / "target")),
            capture_output=True,
        )
        if build.returncode:
            return None
        stripped = tree / f"scythe-{arch}"
        shutil.copy(tree / "target" / triple / "release" / "scythe", stripped)
        subprocess.run([OBJCOPY, "--strip-sections", str(stripped)], check=True)
        result[arch] = stripped.stat().st_size
    return result


def measure(tree, changes, base):
    apply(tree, changes)
    now = sizes(tree)
    return None if now is None else {arch: now[arch] - base[arch] for arch in now}


def describe(change):
    name, at, kind = change
    line = (ROOT / "src" / name).read_text().split("\n")[at + (kind == "remove")]
    return f"{name}:{at + 1} {kind:6} {line.strip()[:60]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("files", nargs="*", help="files of src/ to try (all if none)")
    arguments = parser.parse_args()
    jobs = arguments.jobs
    with tempfile.TemporaryDirectory() as scratch:
        trees = [pathlib.Path(scratch) / f"tree{n}" for n in range(jobs)]
        for tree in trees:
            subprocess.run(["git", "clone", "-q", str(ROOT), str(tree)], check=True)
        apply(trees[0], [])
        base = sizes(trees[0])
        print("as it is:", base, flush=True)
        tries = candidates(arguments.files)

        def one(n):
            tree = trees[n % jobs]
            return tries[n], measure(tree, [tries[n]], base)

        gains = []
        # Each worker takes every jobs-th try, so no two share a tree.
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            for lane in pool.map(
                lambda w: [one(n) for n in range(w, len(tries), jobs)], range(jobs)
            ):
                for change, delta in lane:
                    if delta and sum(delta.values()) < 0:
                        gains.append((sum(delta.values()), change))
        gains.sort()
        kept, sizes_now = [], base
        for _, change in gains:
            if any(k[:2] == change[:2] for k in kept):
                continue
            delta = measure(trees[0], kept + [change], sizes_now)
            if delta and sum(delta.values()) < 0 and max(delta.values()) <= SLACK:
                kept.append(change)
                sizes_now = {arch: sizes_now[arch] + delta[arch] for arch in delta}
                print("keep", delta, describe(change), flush=True)
        print("with all kept:", sizes_now)


if __name__ == "__main__":
    main()
