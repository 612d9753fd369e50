#!/usr/bin/env python3
"""Turn the three bundled corpora into Record JSONL (one `crate::model::Record` per line).

Follows the mapping agreed with the store (issue 3), so analysis can be developed and tested
before `data/snapshots/` exists:

  python3 tests/data/corpus_to_records.py ../shared/data/raw > /tmp/records.jsonl
  python3 tests/data/corpus_to_records.py ../shared/data/raw --repeat 43 --limit 1000000 > /tmp/1m.jsonl

`--repeat N` writes the corpus N times; copy k > 0 gets new ids (`<native>-r<k>`) and the
same times, which is how the 1,000,000-record benchmark input is made.
"""
import argparse
import json
import sys
from pathlib import Path


def hackernews(raw):
    for line in open(raw / "hn-ai-digest/hn_ai_stories.jsonl", encoding="utf-8"):
        s = json.loads(line)
        at = f"{s['digest_date']}T00:00:00Z"
        extra = {"digest_date": s["digest_date"]}
        if s.get("url"):
            extra["link"] = s["url"]
        rec = {"id": f"hackernews:{s['hn_id']}", "source": "hackernews", "kind": "post",
               "url": s["hn_url"], "title": s["title"], "created_at": at, "collected_at": at,
               "engagement": {"score": s["points"], "replies": s["num_comments"]}, "extra": extra}
        if s.get("author"):
            rec["author"] = s["author"]
        yield rec


def reddit(raw):
    for line in open(raw / "reddit-ai-trends/reddit_ai_posts.jsonl", encoding="utf-8"):
        s = json.loads(line)
        extra = {k: s[k] for k in ("flair", "title_truncated", "first_report", "last_report") if s.get(k) is not None}
        yield {"id": f"reddit:{s['reddit_id']}", "source": "reddit", "kind": "post", "url": s["permalink"],
               "title": s.get("title_full") or s["title"], "community": s["subreddit"],
               "created_at": s["created_utc"], "collected_at": s["created_utc"],
               "engagement": {"score": s["score"], "replies": s["num_comments"]}, "extra": extra}


def bluesky(raw):
    for line in open(raw / "bluesky-nytimes-feed/bluesky_nytimes_posts.jsonl", encoding="utf-8"):
        s = json.loads(line)
        did = s["uri"].split("/")[2]
        yield {"id": f"bluesky:{s['uri']}", "source": "bluesky", "kind": "post", "url": s["url"],
               "text": s["text"], "author": s["author_handle"], "author_id": did, "community": "nytimes.com",
               "created_at": s["created_at"], "collected_at": s["created_at"],
               "engagement": {"score": s["like_count"], "replies": s["reply_count"], "reposts": s["repost_count"]},
               "extra": {"quote_count": s["quote_count"], "is_reply": s["is_reply"]}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw", type=Path, help="the shared/data/raw folder")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="stop after this many records")
    args = parser.parse_args()
    records = [r for gen in (hackernews, reddit, bluesky) for r in gen(args.raw)]
    out = sys.stdout
    written = 0
    for k in range(args.repeat):
        for r in records:
            if args.limit is not None and written == args.limit:
                return
            if k:
                r = dict(r, id=f"{r['id']}-r{k}")
            out.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1


if __name__ == "__main__":
    main()
