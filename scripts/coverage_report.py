#!/usr/bin/env python3
"""Prints line coverage of src/ per folder and in total from a gcovr JSON summary, and fails
below the thresholds: 90 % in total, 80 % for any folder.

    python3 scripts/coverage_report.py SUMMARY.json
"""
import collections
import json
import sys

TOTAL_MIN = 90.0
FOLDER_MIN = 80.0


def folder_of(path):
    parts = path.split("/")
    return "/".join(parts[:3]) if path.startswith("src/orfeas/") else parts[0]


def main(summary_path):
    with open(summary_path) as f:
        summary = json.load(f)
    folders = collections.defaultdict(lambda: [0, 0])
    for entry in summary["files"]:
        counts = folders[folder_of(entry["filename"])]
        counts[0] += entry["line_covered"]
        counts[1] += entry["line_total"]
    failed = False
    print(f"{'folder':<24} {'lines':>7} {'covered':>8} {'percent':>8}")
    for folder, (covered, total) in sorted(folders.items()):
        percent = 100.0 * covered / total if total else 100.0
        mark = ""
        if percent < FOLDER_MIN:
            failed, mark = True, f"  below {FOLDER_MIN:.0f} %"
        print(f"{folder:<24} {total:>7} {covered:>8} {percent:>7.1f}%{mark}")
    covered = sum(c for c, _ in folders.values())
    total = sum(t for _, t in folders.values())
    percent = 100.0 * covered / total if total else 0.0
    mark = ""
    if percent < TOTAL_MIN:
        failed, mark = True, f"  below {TOTAL_MIN:.0f} %"
    print(f"{'total':<24} {total:>7} {covered:>8} {percent:>7.1f}%{mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
