#!/usr/bin/env python3
"""Builds the synthesis test candidates from the real bundled corpora (../shared/data/raw).

Each candidate is what the analysis stage would hand over for one story: facts (topic, beat,
signal, volumes, top entities and phrases) and every matching record, mapped to the `Record`
format. Nothing is invented: records are copied field by field from the raw JSONL lines and
every figure is counted from them here. Sentiment is left to the Rust test, which scores it with
the same VADER lexicon the analysis stage uses, then assembles and checks the packs.

Mapping (see each corpus' SOURCE.md):
  HN       id hackernews:<hn_id>, url = hn_url, title, author, score = points,
           replies = num_comments, created_at = digest_date T00:00Z
  Reddit   id reddit:<reddit_id>, url = permalink, title = title_full or title,
           community = subreddit, score, replies = num_comments, created_at = created_utc
  Bluesky  id bluesky:<uri>, url, text, author = author_handle, created_at, score = like_count,
           replies = reply_count, reposts = repost_count

Volumes: last_24h = matching records in the 24 h to as_of; baseline = mean matching records per
day over the 14 days before that. Signal strength = last_24h / baseline (velocity) or last_24h
(novelty, no baseline). Intensity: high at strength >= 5, medium >= 2.5, else low (the analysis
stage owns the real thresholds). Run: python3 tests/data/synthesize/make_candidates.py
"""
import json, os, re
from collections import Counter
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
RAW = os.path.join(HERE, "../../../../shared/data/raw")

def load(path):
    with open(os.path.join(RAW, path), encoding="utf-8") as f:
        return [json.loads(line) for line in f]

def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)

def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")

def records():
    out = []
    for h in load("hn-ai-digest/hn_ai_stories.jsonl"):
        at = ts(h["digest_date"] + "T00:00:00Z")
        out.append({"id": f"hackernews:{h['hn_id']}", "source": "hackernews", "kind": "post",
                    "url": h["hn_url"], "title": h["title"], "author": h["author"],
                    "created_at": iso(at), "collected_at": iso(at),
                    "engagement": {"score": h["points"], "replies": h["num_comments"]}})
    for r in load("reddit-ai-trends/reddit_ai_posts.jsonl"):
        at = ts(r["created_utc"])
        out.append({"id": f"reddit:{r['reddit_id']}", "source": "reddit", "kind": "post",
                    "url": r["permalink"], "title": r.get("title_full") or r["title"],
                    "community": r["subreddit"], "created_at": iso(at), "collected_at": iso(at),
                    "engagement": {"score": r["score"], "replies": r["num_comments"]}})
    for b in load("bluesky-nytimes-feed/bluesky_nytimes_posts.jsonl"):
        at = ts(b["created_at"])
        out.append({"id": f"bluesky:{b['uri']}", "source": "bluesky", "kind": "post",
                    "url": b["url"], "text": b["text"], "author": b["author_handle"],
                    "created_at": b["created_at"].replace("+00:00", "Z"), "collected_at": b["created_at"].replace("+00:00", "Z"),
                    "engagement": {"score": b["like_count"], "replies": b["reply_count"], "reposts": b["repost_count"]}})
    return out

STOP = set("the a an and or of to in on for with by at from is are was were be as it its this that after over into about than will has have not but their they new says said".split())

def words(r):
    return (r.get("title", "") + " " + r.get("text", ""))

def top_phrases(cands, n=4):
    counts = Counter()
    for r in cands:
        toks = [re.sub(r"'s$", "", t) for t in re.findall(r"[a-z][a-z'\-]+", words(r).lower().replace("’", "'"))]
        grams = {f"{a} {b}" for a, b in zip(toks, toks[1:]) if a not in STOP and b not in STOP}
        counts.update(grams)
    return [{"text": t, "records": c} for t, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= 2][:n]

def top_entities(cands, names):
    counts = []
    for name, pattern in names:
        c = sum(1 for r in cands if re.search(pattern, words(r)))
        if c:
            counts.append({"text": name, "records": c})
    return sorted(counts, key=lambda e: (-e["records"], e["text"]))[:5]

def candidate(all_records, name, topic, beat, category, subject, pattern, as_of, days, names):
    as_of = ts(as_of)
    rx = re.compile(pattern, re.I)
    matching = [r for r in all_records if rx.search(words(r))]
    at = lambda r: ts(r["created_at"])
    last = [r for r in matching if as_of - timedelta(hours=24) <= at(r) < as_of]
    before = [r for r in matching if as_of - timedelta(days=15) <= at(r) < as_of - timedelta(hours=24)]
    baseline = round(len(before) / 14, 2)
    cands = sorted((r for r in matching if as_of - timedelta(days=days) <= at(r) < as_of), key=lambda r: r["id"])
    if baseline > 0:
        kind, strength = "velocity", round(len(last) / baseline, 2)
        reason = f"{len(last)} records in the 24 hours to as_of against a 14-day mean of {baseline} a day"
    else:
        kind, strength = "novelty", float(len(last))
        reason = f"{len(last)} records in the 24 hours to as_of with none in the 14 days before"
    intensity = "high" if strength >= 5 else "medium" if strength >= 2.5 else "low"
    facts = {"topic": topic, "as_of": iso(as_of), "beat": beat, "category": category,
             "signal": {"kind": kind, "strength": strength, "subject": subject, "reason": reason},
             "intensity": intensity, "volume": {"last_24h": len(last), "baseline": baseline},
             "top_entities": top_entities(cands, names), "top_phrases": top_phrases(cands)}
    with open(os.path.join(HERE, f"{name}.candidate.json"), "w", encoding="utf-8") as f:
        json.dump({"facts": facts, "records": cands}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(name, len(cands), "records;", facts["volume"], kind, strength, intensity)

def main():
    rs = records()
    candidate(rs, "anthropic-pentagon", "military/anthropic-pentagon",
              {"slug": "military", "name": "Military and defence"}, "Governance", "Anthropic and the Pentagon",
              r"anthropic|pentagon|department of war",
              "2026-02-28T00:00:00Z", 7,
              [("Anthropic", r"Anthropic"), ("the Pentagon", r"Pentagon"), ("OpenAI", r"OpenAI"), ("Dario Amodei", r"Amodei"), ("President Trump", r"Trump")])
    candidate(rs, "claude-mythos", "new-models/claude-mythos",
              {"slug": "new-models", "name": "New models and capabilities"}, "Technical", "Claude Mythos",
              r"mythos", "2026-04-14T00:00:00Z", 9,
              [("Claude Mythos", r"Mythos"), ("Anthropic", r"Anthropic"), ("Claude Opus", r"Opus")])
    candidate(rs, "grok-images", "misinformation/grok-sexualized-images",
              {"slug": "misinformation", "name": "Misinformation and deepfakes"}, "Society", "Grok",
              r"\bgrok|xai\b|x\.ai", "2026-01-27T00:00:00Z", 20,
              [("Grok", r"Grok"), ("Elon Musk", r"Musk"), ("xAI", r"xAI"), ("X", r"\bX\b")])

if __name__ == "__main__":
    main()
