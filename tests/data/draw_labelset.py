#!/usr/bin/env python3
"""Draw the records of the labelled set (tests/data/labelled/) from the raw corpora.

  python3 tests/data/draw_labelset.py ../shared/data/raw > /tmp/pool.jsonl

Deterministic (seeded per stratum). Each output line is {"stratum": ..., "record": <Record>}.
The draw only chooses which records a person reads; it never assigns a label. The strata and
their sizes are documented in tests/data/README.md:

- platform strata: a uniform random draw from each corpus and kind;
- `hard-negative`: Bluesky (NYT) posts and tech-press items that contain words that look like
  AI (model, robot, intelligence, learning, smart, algorithm, bot, "Al" ...), most of which are
  not about AI;
- `beat-boost:<beat>`: for beats that are rare in a uniform draw, records whose text matches a
  loose query for that beat's subject, so each beat has enough positives to learn and measure.
"""
import gzip
import json
import random
import re
import sys
from pathlib import Path

from corpus_to_records import hackernews  # the mapping agreed with the store

CUT = 1200  # characters of body text kept for reading; records keep their full text


def iso(ts):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def reddit_trends(raw):
    for line in open(raw / "reddit-ai-trends/reddit_ai_posts.jsonl", encoding="utf-8"):
        s = json.loads(line)
        extra = {k: s[k] for k in ("flair", "title_truncated") if s.get(k) is not None}
        yield {"id": f"reddit:{s['reddit_id']}", "source": "reddit", "kind": "post", "url": s["permalink"],
               "title": s.get("title_full") or s["title"], "community": s["subreddit"],
               "created_at": s["created_utc"], "collected_at": s["created_utc"],
               "engagement": {"score": s["score"], "replies": s["num_comments"]}, "extra": extra}


def localllama_posts(raw):
    for line in open(raw / "reddit-localllama-threads/posts.jsonl", encoding="utf-8"):
        s = json.loads(line)
        at = iso(s["created_utc"])
        extra = {"flair": s["link_flair_text"]} if s.get("link_flair_text") else {}
        if not s.get("is_self") and s.get("url"):
            extra["link"] = s["url"]
        yield {"id": f"reddit:{s['id']}", "source": "reddit", "kind": "post", "url": s["permalink"],
               "title": s["title"], "text": s.get("selftext") or "", "author": s.get("author"),
               "community": s["subreddit"], "created_at": at, "collected_at": at,
               "engagement": {"score": s["score"], "replies": s["num_comments"]}, "extra": extra}


def localllama_comments(raw):
    titles = {}
    for line in open(raw / "reddit-localllama-threads/posts.jsonl", encoding="utf-8"):
        s = json.loads(line)
        titles[s["name"]] = s["title"]
    for line in open(raw / "reddit-localllama-threads/comments.jsonl", encoding="utf-8"):
        s = json.loads(line)
        at = iso(s["created_utc"])
        parent = s["parent_id"].split("_", 1)[1]
        thread = s["link_id"].split("_", 1)[1]
        yield {"id": f"reddit:{s['id']}", "source": "reddit", "kind": "comment", "url": s["permalink"],
               "text": s["body"], "author": s.get("author"), "community": s["subreddit"],
               "created_at": at, "collected_at": at, "engagement": {"score": s["score"]},
               "parent_id": f"reddit:{parent}", "thread_id": f"reddit:{thread}",
               "extra": {"thread_title": titles.get(s["link_id"], "")}}


def bluesky_nyt(raw):
    for line in open(raw / "bluesky-nytimes-feed/bluesky_nytimes_posts.jsonl", encoding="utf-8"):
        s = json.loads(line)
        did = s["uri"].split("/")[2]
        yield {"id": f"bluesky:{s['uri']}", "source": "bluesky", "kind": "post", "url": s["url"],
               "text": s["text"], "author": s["author_handle"], "author_id": did, "community": "nytimes.com",
               "created_at": s["created_at"], "collected_at": s["created_at"],
               "engagement": {"score": s["like_count"], "replies": s["reply_count"], "reposts": s["repost_count"]}}


def bluesky_views(raw):
    """Real post views of many authors and languages (French, Japanese, Korean, Portuguese...)."""
    seen = set()
    for name in ("bluesky_postviews_123.json", "bluesky_postviews_hydrated_from_jetstream.json"):
        for item in json.load(open(raw / "fixtures-bluesky-twitwi" / name, encoding="utf-8")):
            post = item.get("post", item)
            if post["uri"] in seen or not post["record"].get("text"):
                continue
            seen.add(post["uri"])
            rkey = post["uri"].rsplit("/", 1)[1]
            at = post["record"]["createdAt"]
            if not at.startswith("20"):
                continue
            rec = {"id": f"bluesky:{post['uri']}", "source": "bluesky", "kind": "post",
                   "url": f"https://bsky.app/profile/{post['author']['handle']}/post/{rkey}",
                   "text": post["record"]["text"], "author": post["author"]["handle"],
                   "author_id": post["author"]["did"], "created_at": at, "collected_at": at,
                   "engagement": {"score": post.get("likeCount"), "replies": post.get("replyCount"),
                                  "reposts": post.get("repostCount")}}
            langs = post["record"].get("langs") or []
            if langs:
                rec["language"] = langs[0]
            yield rec


def news(raw):
    for line in open(raw / "news-ai-aggregator/ai_news_updates.jsonl", encoding="utf-8"):
        s = json.loads(line)
        at = s["published"][:19] + "Z"
        yield {"id": f"news:{s['url']}", "source": "news", "kind": "article", "url": s["url"],
               "title": s["title"], "text": s.get("lede") or "", "community": s["domain"],
               "created_at": at, "collected_at": at, "engagement": {}}


def arxiv(raw):
    with gzip.open(raw / "arxiv-daily-ai/arxiv_ai_papers.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            s = json.loads(line)
            at = f"{s['first_listed']}T00:00:00Z"
            yield {"id": f"arxiv:{s['id']}", "source": "arxiv", "kind": "paper", "url": s["abs"],
                   "title": s["title"], "text": s["abstract"], "community": s["categories"][0],
                   "author": ", ".join(s["authors"][:3]), "created_at": at, "collected_at": at,
                   "engagement": {}, "extra": {"categories": s["categories"]}}


# Words that look like AI to a keyword search but usually mean something else in general news.
AI_LOOKING = re.compile(r"\b(A\.?I\.?|Al|models?|robots?|intelligen\w*|learning|smart\w*|algorithm\w*|bots?|"
                        r"automat\w*|neural|machines?|computer\w*|data|digital|chips?|tech\w*|future|"
                        r"generat\w*|agents?|assistant|predict\w*|synthetic|virtual|deep)\b")

# Loose queries that find candidates for beats a uniform draw holds few of. Drawing, not labelling:
# every drawn record is read and labelled like any other, and many turn out to be something else.
BEAT_QUERIES = {
    "military-defence": r"\b(military|pentagon|defen[cs]e|weapon|drone|army|warfare|soldier)",
    "bias-fairness": r"\b(bias|biased|fairness|discriminat|racis|sexis|stereotyp)",
    "environment-energy": r"\b(energy|climate|carbon|emission|electricity|power grid|water use|nuclear)",
    "privacy-surveillance": r"\b(privacy|surveillance|facial recognition|tracking|spyware|personal data)",
    "companions-mental-health": r"\b(companion|loneli|mental health|therap|suicid|girlfriend|boyfriend|emotional)",
    "education": r"\b(school|student|teacher|universit|classroom|homework|cheating|education)",
    "healthcare": r"\b(health|medical|doctor|patient|hospital|clinic|diagnos)",
    "minds-personhood": r"\b(conscious|sentien|personhood|feelings|welfare|soul|self-aware)",
    "geopolitics-chips": r"\b(china|chinese|export control|huawei|smuggl|sovereign|beijing|tariff)",
    "creative-work": r"\b(artist|music|song|film|hollywood|novel|writer|illustrat|actor)",
    "misinformation-deepfakes": r"\b(deepfake|misinformation|disinformation|fake news|hoax|propaganda|election)",
    "social-media": r"\b(facebook|instagram|tiktok|youtube|twitter|social media|x\.com|meta's feed)",
    "robotics": r"\b(robot|humanoid|self-driving|waymo|autonomous vehicle|tesla fsd|optimus)",
    "science-research": r"\b(protein|biolog|physics|mathematic|theorem|materials|drug discovery|alphafold|genom)",
    "work-jobs": r"\b(jobs?|layoff|hiring|workers?|employ|unemploy|labor|labour|career)",
    "regulation": r"\b(regulat|law|bill|act\b|senate|congress|executive order|eu ai act|ftc)",
    "law-copyright": r"\b(lawsuit|sued|sues|court|copyright|judge|settlement|infring)",
    "hardware-compute": r"\b(gpu|nvidia|data cent|datacent|tpu|h100|b200|chip|compute)",
    "business-investment": r"\b(funding|raises|valuation|revenue|acqui|ipo|investor|billion)",
    "safety-alignment": r"\b(alignment|jailbreak|prompt injection|safety|deceptive|x-risk|existential)",
    "agents": r"\b(agent|mcp|tool use|computer use|browser use|agentic)",
    "agi-futures": r"\b(agi|superintelligen|singularity|takeoff|asi\b)",
}

PLAN = [  # (stratum, generator, count)
    ("hackernews", hackernews, 330),
    ("reddit-post", reddit_trends, 330),
    ("localllama-post", localllama_posts, 170),
    ("localllama-comment", localllama_comments, 300),
    ("bluesky-nyt", bluesky_nyt, 150),
    ("bluesky-multilingual", bluesky_views, 130),
    ("news", news, 300),
    ("arxiv", arxiv, 260),
]
HARD_NEGATIVES = 330
BOOST_PER_BEAT = 24

# The second round, drawn after the first round's labels showed which beats still had fewer than
# 35 positives: sharper queries over the AI-focused corpora only (tech press, HN, AI subreddits).
SECOND_ROUND = {
    "military-defence": r"\b(military|pentagon|defen[cs]e (department|contract|tech)|weapon|drones?|army|warfare|battlefield|anduril)",
    "education": r"\b(schools?|students?|teachers?|classroom|homework|cheating|universit(y|ies)|tutor|education)",
    "environment-energy": r"\b(energy|climate|carbon|emissions?|electricity|power (grid|plant)|water|nuclear|gigawatt)",
    "bias-fairness": r"\b(bias|biased|fairness|discriminat\w*|racis\w*|sexis\w*|stereotyp\w*|woke|political slant)",
    "social-media": r"\b(facebook|instagram|tiktok|twitter|social media|feeds?|slop|bot accounts?|moderation)",
    "geopolitics-chips": r"\b(china|chinese|export controls?|huawei|smuggl\w*|sovereign|beijing|tariffs?|taiwan|tsmc)",
    "privacy-surveillance": r"\b(privacy|surveillance|facial recognition|tracking|personal data|data leak|opt[- ]out|spy)",
    "minds-personhood": r"\b(conscious\w*|sentien\w*|personhood|model welfare|feelings|self-aware\w*|understand(s|ing)?)\b",
    "law-copyright": r"\b(lawsuit|sued|sues|court|copyright|judge|settlement|infring\w*|fair use|licensing deal)",
    "misinformation-deepfakes": r"\b(deepfakes?|misinformation|disinformation|fake (images?|video)|voice clon\w*|scams?|hallucinat\w*)",
    "regulation": r"\b(regulat\w*|legislat\w*|bill|act|senate|congress|executive order|ai act|ftc|moratorium)\b",
}
SECOND_PER_BEAT = 40

# The third round: more hard negatives, since the first two held fewer than 300 records that are
# not about AI yet use the words a keyword search for AI matches on (a stricter list than above).
AI_WORDS = re.compile(r"\b(A\.?I\.?|models?|robots?|intelligen\w*|learning|algorithm\w*|bots?|neural|"
                      r"machines?|automat\w*|smart|agents?|chatbots?|GPT|deep)\b")
THIRD_ROUND = 240


def readable(rec):
    return (rec.get("title") or "") + " " + (rec.get("text") or "")[:CUT]


def main():
    raw = Path(sys.argv[1])
    corpora = {name: list(gen(raw)) for name, gen, _ in PLAN}
    chosen, out = set(), []

    def take(stratum, pool, n, seed):
        rng = random.Random(seed)
        pool = [r for r in pool if r["id"] not in chosen and readable(r).strip()]
        for rec in rng.sample(pool, min(n, len(pool))):
            if rec["id"] in chosen:  # the news corpus lists a few URLs twice
                continue
            chosen.add(rec["id"])
            out.append({"stratum": stratum, "record": rec})

    for i, (name, _, n) in enumerate(PLAN):
        take(name, corpora[name], n, 11 + i)
    looks_ai = [r for r in corpora["bluesky-nyt"] + corpora["news"] if AI_LOOKING.search(readable(r))]
    nyt_looking = [r for r in looks_ai if r["source"] == "bluesky"]
    take("hard-negative", nyt_looking, HARD_NEGATIVES, 29)
    boost_pool = corpora["hackernews"] + corpora["reddit-post"] + corpora["news"] + corpora["bluesky-nyt"]
    for j, (beat, query) in enumerate(sorted(BEAT_QUERIES.items())):
        pattern = re.compile(query, re.I)
        take(f"beat-boost:{beat}", [r for r in boost_pool if pattern.search(readable(r))], BOOST_PER_BEAT, 100 + j)
    ai_focused = corpora["hackernews"] + corpora["reddit-post"] + corpora["news"]
    for j, (beat, query) in enumerate(sorted(SECOND_ROUND.items())):
        pattern = re.compile(query, re.I)
        take(f"beat-boost-2:{beat}", [r for r in ai_focused if pattern.search(readable(r))], SECOND_PER_BEAT, 200 + j)
    general_news = corpora["bluesky-nyt"] + [r for r in corpora["reddit-post"] if r.get("community") == "datascience"]
    take("hard-negative-2", [r for r in general_news if AI_WORDS.search(readable(r))], THIRD_ROUND, 300)
    for item in out:
        sys.stdout.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{len(out)} records drawn", file=sys.stderr)


if __name__ == "__main__":
    main()
