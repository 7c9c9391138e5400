#!/usr/bin/env python3
"""Prints the `signing` bench results as a Markdown table (python3 stdlib only).

Reads target/criterion/<group>/<function>/new/{benchmark,estimates}.json, written by
`cargo bench --bench signing`. Usage: python3 benches/report.py [CRITERION_DIR]
(default: $CARGO_TARGET_DIR/criterion, else target/criterion next to this crate).
"""

import json
import os
import sys
from pathlib import Path

OURS, AWS, FLOOR = "ours", "aws-sigv4", "sha2_only"
# The bench's groups in the order they run; any other group is listed after them.
ORDER = ["small_get", "post_64k", "presign", "cold_key", "cold_small_get"]


def criterion_dir() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    target = os.environ.get("CARGO_TARGET_DIR")
    base = Path(target) if target else Path(__file__).resolve().parent.parent / "target"
    return base / "criterion"


def load(root: Path) -> dict:
    """{group: {function: median ns}} from every `new/` result under root."""
    results: dict = {}
    for bench in root.glob("*/*/new/benchmark.json"):
        try:
            meta = json.loads(bench.read_text())
            estimates = json.loads((bench.parent / "estimates.json").read_text())
        except (OSError, ValueError) as e:
            print(f"skipping {bench.parent}: {e}", file=sys.stderr)
            continue
        group, function = meta.get("group_id"), meta.get("function_id")
        if group is None or function is None:
            continue
        results.setdefault(group, {})[function] = estimates["median"]["point_estimate"]
    return results


def fmt_time(ns: float | None) -> str:
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


def main() -> int:
    root = criterion_dir()
    results = load(root)
    if not results:
        print(f"no criterion results under {root}; run `cargo bench --bench signing` first", file=sys.stderr)
        return 1
    groups = [g for g in ORDER if g in results] + sorted(g for g in results if g not in ORDER)
    print("| case | ours (median) | aws-sigv4 (median) | ratio (aws/ours) | notes |")
    print("| --- | ---: | ---: | ---: | --- |")
    for group in groups:
        fns = results[group]
        ours, aws = fns.get(OURS), fns.get(AWS)
        ratio = f"{aws / ours:.2f}x" if ours and aws else "n/a"
        notes = ""
        floor = fns.get(FLOOR)
        if ours and floor:
            notes = f"sha2_only {fmt_time(floor)}; ours {(ours / floor - 1) * 100:+.1f} % over it"
        print(f"| {group} | {fmt_time(ours)} | {fmt_time(aws)} | {ratio} | {notes} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
