#!/usr/bin/env python3
"""Prints bench results as Markdown tables (python3 stdlib only).

`python3 benches/report.py [CRITERION_DIR]`: the `signing` bench, from
<group>/<function>/new/{benchmark,estimates}.json (written by `cargo bench -p sigv4-benches --bench signing`).
`python3 benches/report.py adapters [CRITERION_DIR]`: the `adapters` bench's paired overheads,
from adapters_paired.json (written by `cargo bench -p sigv4-benches --bench adapters`).
CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion next to this crate.
"""

import json
import os
import sys
from pathlib import Path

OURS, AWS, REQSIGN, FLOOR, SHA2 = "ours", "aws-sigv4", "reqsign-aws-v4", "floor", "sha2_only"
SIGN_ONLY = "ours-sign-only"
FLOOR_APPLIED = "floor-applied"
# The bench's groups in the order they run; any other group is listed after them.
ORDER = ["small_get", "post_1k", "post_64k", "presign", "excluded_headers", "cold_key", "cold_small_get"]
DEFAULT, CUSTOM = "default", "custom"


def criterion_dir(args: list[str]) -> Path:
    if args:
        return Path(args[0])
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


def ratio(num: float | None, den: float | None) -> str:
    return f"{num / den:.2f}x" if num and den else "n/a"


def adapters(root: Path) -> int:
    path = root / "adapters_paired.json"
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        print(f"cannot read {path} ({e}); run `cargo bench -p sigv4-benches --bench adapters` first", file=sys.stderr)
        return 1
    idle = "polling (/dev/cpu_dma_latency 0)" if doc.get("poll_idle") else "the machine's default"
    print(f"idle CPUs: {idle}")
    print("| kind | median round trip | median paired difference to unsigned | overhead |")
    print("| --- | ---: | ---: | ---: |")
    for k in doc["kinds"]:
        print(
            f"| {k['kind']} | {k['median_us']:.1f} µs | {k['paired_diff_us']:+.2f} µs "
            f"| {k['paired_diff_pct']:+.1f} % |"
        )
    for r in doc.get("ratios", []):
        print()
        print(
            f"{r['adapter']}: signed adds {r['signed_paired_diff_us']:.2f} µs, the floor "
            f"{r['floor_paired_diff_us']:.2f} µs: {r['signed_over_floor']:.2f}x"
        )
    return 0


def sign_only(fns: dict, floor: float | None) -> str:
    if SIGN_ONLY not in fns:
        return ""
    return f"{fmt_time(fns[SIGN_ONLY])} ({ratio(fns[SIGN_ONLY], floor)})"


def floor_applied(fns: dict, floor: float | None) -> str:
    if FLOOR_APPLIED not in fns:
        return ""
    return f"{fmt_time(fns[FLOOR_APPLIED])} ({ratio(fns[FLOOR_APPLIED], floor)})"


def main() -> int:
    args = sys.argv[1:]
    if args and args[0] == "adapters":
        return adapters(criterion_dir(args[1:]))
    root = criterion_dir(args)
    results = load(root)
    if not results:
        print(f"no criterion results under {root}; run `cargo bench -p sigv4-benches --bench signing` first", file=sys.stderr)
        return 1
    groups = [g for g in ORDER if g in results] + sorted(g for g in results if g not in ORDER)
    print("Every signer signs a fresh request and applies its output; the floor is SHA-256 of the")
    print("canonical request, hex, HMAC of the string to sign under a keyed state, hex (where the")
    print("case hashes a body, floor + sha2_only); floor-applied is the floor with its signature put on")
    print("the request through `http` (headers inserted, or the URL parsed):")
    print()
    print(
        "| case | ours | aws-sigv4 | reqsign-aws-v4 | floor | aws-sigv4/ours | reqsign/ours | ours/floor "
        "| ours, signing only (/floor) | floor-applied (/floor) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for group in groups:
        fns = results[group]
        if OURS not in fns:
            continue
        ours, aws, reqsign, floor = fns.get(OURS), fns.get(AWS), fns.get(REQSIGN), fns.get(FLOOR)
        if floor and fns.get(SHA2):
            # `floor` is given the body's hash; hashing the body is `sha2_only`.
            floor += fns[SHA2]
        print(
            f"| {group} | {fmt_time(ours)} | {fmt_time(aws)} | {fmt_time(reqsign)} | {fmt_time(floor)} "
            f"| {ratio(aws, ours)} | {ratio(reqsign, ours)} | {ratio(ours, floor)} | {sign_only(fns, floor)} "
            f"| {floor_applied(fns, floor)} |"
        )
    for group in groups:
        fns = results[group]
        if DEFAULT in fns and CUSTOM in fns:
            print()
            print(
                f"{group}: default set {fmt_time(fns[DEFAULT])}, custom set {fmt_time(fns[CUSTOM])} "
                f"(custom/default {ratio(fns[CUSTOM], fns[DEFAULT])})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
