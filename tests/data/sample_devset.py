#!/usr/bin/env python3
"""Draw the records of the labelled sets: the development set (tests/data/devset.jsonl) and,
with `--holdout`, the held-out set (tests/data/holdout.jsonl).

Deterministic (seed 4): 100 Hacker News, 100 Reddit and 100 Bluesky records from the Record
JSONL made by corpus_to_records.py; for Bluesky, 25 of the 100 are drawn from posts matching
a loose AI regex so the mostly-negative news stream still has positives to find.

  python3 tests/data/corpus_to_records.py ../shared/data/raw > /tmp/records.jsonl
  python3 tests/data/sample_devset.py /tmp/records.jsonl > /tmp/devset_sample.jsonl
  python3 tests/data/sample_devset.py /tmp/records.jsonl --holdout tests/data/devset.jsonl > /tmp/holdout_sample.jsonl

The held-out set (seed 5, none of the development records): 40 Hacker News, 40 Reddit, and
40 Bluesky of which 15 match the AI regex, this time with a trailing word boundary (the
development draw's regex lacked it, so its 25 "AI" Bluesky picks are mostly `air…`/`aid…`
keyword false positives: hard negatives, kept as they were).
"""
import json
import random
import re
import sys

AI = re.compile(r"\b(AI|A\.I\.|artificial intelligence|chatbot|ChatGPT|OpenAI|algorithm|robot)", re.I)

records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
if len(sys.argv) > 3 and sys.argv[2] == "--holdout":
    dev = {json.loads(line)["record"]["id"] for line in open(sys.argv[3], encoding="utf-8")}
    records = [r for r in records if r["id"] not in dev]
    AI = re.compile(r"\b(AI|A\.I\.|artificial intelligence|chatbot|ChatGPT|OpenAI|algorithm|robot)s?\b", re.I)
    rng = random.Random(5)
    by = {s: [r for r in records if r["source"] == s] for s in ("hackernews", "reddit", "bluesky")}
    chosen = rng.sample(by["hackernews"], 40) + rng.sample(by["reddit"], 40)
    picked = rng.sample([r for r in by["bluesky"] if AI.search(r.get("text", ""))], 15)
    ids = {r["id"] for r in picked}
    chosen += picked + rng.sample([r for r in by["bluesky"] if r["id"] not in ids], 25)
    for r in chosen:
        print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
    sys.exit(0)
rng = random.Random(4)
by_source = {s: [r for r in records if r["source"] == s] for s in ("hackernews", "reddit", "bluesky")}
chosen = rng.sample(by_source["hackernews"], 100) + rng.sample(by_source["reddit"], 100)
bluesky_ai = [r for r in by_source["bluesky"] if AI.search(r.get("text", ""))]
picked_ai = rng.sample(bluesky_ai, 25)
ids = {r["id"] for r in picked_ai}
chosen += picked_ai + rng.sample([r for r in by_source["bluesky"] if r["id"] not in ids], 75)
for r in chosen:
    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
