#!/usr/bin/env python3
"""Attach the hand labels to the sampled records and write tests/data/devset.jsonl.

  python3 tests/data/build_devset.py /tmp/devset_sample.jsonl > tests/data/devset.jsonl
  python3 tests/data/build_devset.py /tmp/holdout_sample.jsonl --holdout > tests/data/holdout.jsonl

LABELS below is the labeller's record: for sample line i (0-based, see sample_devset.py),
`None` = not about AI; a beat slug = about AI with that primary beat; "" = about AI but no
single beat fits. Labels were decided by reading each title/text, never from classifier output.
"""
import json
import sys

B = {"ms": "models-capabilities", "ol": "open-local-models", "ag": "agents", "sd": "software-development",
     "le": "llm-engineering", "ro": "robotics", "sr": "science-research", "hc": "hardware-compute",
     "bi": "business-investment", "sa": "safety-alignment", "mp": "minds-personhood", "af": "agi-futures",
     "re": "regulation", "mi": "military-defence", "gc": "geopolitics-chips", "ps": "privacy-surveillance",
     "lc": "law-copyright", "wj": "work-jobs", "ed": "education", "cw": "creative-work",
     "md": "misinformation-deepfakes", "sm": "social-media", "he": "healthcare",
     "cm": "companions-mental-health", "bf": "bias-fairness", "ee": "environment-energy", "": ""}

# Hacker News 0–99, Reddit 100–199, Bluesky 200–299. "-" = not about AI.
HN = """md sr ms ms - ol lc bf - le he sd ms sm wj - - - ol sa sr ag ps ag - ms - - hc sd
ag - "" ms ms - le bi sa sd ed bi bi ol - bi sd bi gc ag ol "" ro le - - - ms lc sa ag ps le - ms ms
le le ol ms gc - ro - le "" ms ps - "" - md sd le sd ms ms - md ol sd sd ms "" ro le lc wj - sr"""
REDDIT = """ro ol bi ag ag ms ol ro hc cm lc hc ol le ol hc ag hc ol le ms sr sd ol ms - ms cw ol ""
sr hc ms "" ol ms ms - - ag ol bi ag sd ms ms - af - ms bi ol wj sr "" "" hc ag ag ol ol ag le ms re
"" ag "" ol - "" - sa ms ag ag le le bi ol wj le ag ol le le ag ol hc - cw ol ol ms "" "" ol gc "" -"""
BLUESKY = {200: "lc", 205: "wj", 206: "bi", 207: "md", 213: "sa"}


# Held-out set: 0–39 Hacker News, 40–79 Reddit, 80–119 Bluesky. Labelled after the
# taxonomy was last tuned; never used to tune it.
HOLDOUT = """le ms "" "" "" bi bi ag "" sd "" hc - sd - le - "" - ms sd "" lc - af le ol le - bi
- "" ed lc sd ro "" "" sd ed "" cm sd "" "" ms sd le ol ol ol ms gc ms ed - sr bi sr ag ag
ol sr ms - ms bi le ol gc "" ms - - md hc ms "" ag "" ro - ro cm md bi ro lc ed "" lc he bi
ed cw - - - - - - - - - - - - - - - - - - - - - - - - -"""


def holdout_labels():
    out = [None if t == "-" else B[t.strip('"')] for t in HOLDOUT.split()]
    assert len(out) == 120, len(out)
    return out


def labels():
    out = []
    for block in (HN, REDDIT):
        for token in block.split():
            token = token.strip('"')
            out.append(None if token == "-" else B[token])
    assert len(out) == 200, len(out)
    out += [B[BLUESKY[i]] if i in BLUESKY else None for i in range(200, 300)]
    return out


def main():
    records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
    table = holdout_labels() if "--holdout" in sys.argv else labels()
    assert len(records) == len(table)
    for record, beat in zip(records, table):
        label = {"relevant": beat is not None, "beat": beat or None}
        print(json.dumps({"record": record, "label": label}, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
