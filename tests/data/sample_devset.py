#!/usr/bin/env python3
"""Draw the records of the labelled development set (tests/data/devset.jsonl).

Deterministic (seed 4): 100 Hacker News, 100 Reddit and 100 Bluesky records from the Record
JSONL made by corpus_to_records.py; for Bluesky, 25 of the 100 are drawn from posts matching
a loose AI regex so the mostly-negative news stream still has positives to find.

  python3 tests/data/corpus_to_records.py ../shared/data/raw > /tmp/records.jsonl
  python3 tests/data/sample_devset.py /tmp/records.jsonl > /tmp/devset_sample.jsonl
"""
import json
import random
import re
import sys

AI = re.compile(r"\b(AI|A\.I\.|artificial intelligence|chatbot|ChatGPT|OpenAI|algorithm|robot)", re.I)

records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
rng = random.Random(4)
by_source = {s: [r for r in records if r["source"] == s] for s in ("hackernews", "reddit", "bluesky")}
chosen = rng.sample(by_source["hackernews"], 100) + rng.sample(by_source["reddit"], 100)
bluesky_ai = [r for r in by_source["bluesky"] if AI.search(r.get("text", ""))]
picked_ai = rng.sample(bluesky_ai, 25)
ids = {r["id"] for r in picked_ai}
chosen += picked_ai + rng.sample([r for r in by_source["bluesky"] if r["id"] not in ids], 75)
for r in chosen:
    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
