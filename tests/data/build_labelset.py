#!/usr/bin/env python3
"""Join the drawn records with the labels people wrote, and split them train / dev / test.

  python3 tests/data/draw_labelset.py ../shared/data/raw > /tmp/pool.jsonl
  python3 tests/data/build_labelset.py /tmp/pool.jsonl

Reads tests/data/labelled/labels/labels-*.tsv (one line per record: id, relevant y/n, primary
beat or `general` or `-`, secondary beats or `-`, confidence h/l, note) and writes
tests/data/labelled/{train,dev,test}.jsonl in the format `zeitgeist eval` reads.

The split is by a hash of the record's thread (its `thread_id`, else its own id), so a post
and its comments always fall in the same split: sha256(key) as an integer, mod 100:
0–59 train, 60–79 dev, 80–99 test.
"""
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "labelled"


def split_of(record):
    key = record.get("thread_id") or record["id"]
    bucket = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100
    return "train" if bucket < 60 else "dev" if bucket < 80 else "test"


def labels():
    out = {}
    for path in sorted((HERE / "labels").glob("labels-*.tsv")):
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5:
                sys.exit(f"{path}:{n}: expected at least 5 tab-separated fields")
            rid, relevant, beat, secondary, confidence = fields[:5]
            if rid in out:
                sys.exit(f"{path}:{n}: {rid} labelled twice")
            if relevant not in ("y", "n") or confidence not in ("h", "l"):
                sys.exit(f"{path}:{n}: relevant must be y/n and confidence h/l")
            out[rid] = {
                "relevant": relevant == "y",
                "beat": None if relevant == "n" else beat,
                "secondary": [] if secondary == "-" or relevant == "n" else secondary.split(","),
                "confident": confidence == "h",
            }
    return out


def main():
    pool = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
    by_id = labels()
    splits = {"train": [], "dev": [], "test": []}
    for item in pool:
        record = item["record"]
        label = by_id.pop(record["id"], None)
        if label is None:
            sys.exit(f"{record['id']}: drawn but not labelled")
        splits[split_of(record)].append({"record": record, "label": label, "stratum": item["stratum"]})
    if by_id:
        sys.exit(f"labelled but not drawn: {sorted(by_id)[:5]}")
    for name, items in splits.items():
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"{name}: {len(items)} records", file=sys.stderr)


if __name__ == "__main__":
    main()
