#!/usr/bin/env bash
# Zeitgeist's search index vs Pagefind 1.6.0 on the shared 10,000-page corpus.
#
#   bench/search.sh [WORKDIR]        (RUNS=3 by default; results in WORKDIR/report.md)
#   SCALE_RECORDS=1000000 bench/search.sh   also indexes that many records (real titles cycled)
#                                            and reports the bytes per query at that size
#
# Generates the corpus (../shared/bench/gen_ssg_corpus.py) and builds it with Hugo once, then,
# RUNS times each: Pagefind on Hugo's public/ and zeitgeist's index builder
# (examples/search_index.rs, release build) on the same Markdown. Reports median wall time and
# peak memory (/usr/bin/time -v), total index size, the bytes of a first and a later one-word
# query, and each engine's top 5 for a few queries. See bench/SEARCH.md for the counting rules.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mkdir -p "${1:-/tmp/zeitgeist-search-bench}" && cd "${1:-/tmp/zeitgeist-search-bench}" && pwd)
RUNS=${RUNS:-3}
WORDS=(gpu model token copyright)
CORPUS=$WORK/corpus
ZG_OUT=$WORK/zeitgeist-search

if [ ! -f "$CORPUS/public/sitemap.xml" ]; then
  python3 "$ROOT/../shared/bench/gen_ssg_corpus.py" --out "$CORPUS" --pages 10000
  (cd "$CORPUS" && hugo --quiet)
fi
if [ ! -x "$WORK/node_modules/.bin/pagefind" ]; then
  (cd "$WORK" && npm install --no-save --silent pagefind@1.6.0)
fi
(cd "$ROOT" && cargo build --release --quiet --example search_index)

# measure NAME CMD...: appends "NAME wall_seconds peak_kib" to $WORK/runs.txt
measure() {
  local name=$1; shift
  /usr/bin/time -v "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
  local wall peak cpu
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$WORK/$name.err")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$WORK/$name.err")
  peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.err")
  echo "$name $wall $peak $cpu" >> "$WORK/runs.txt"
  echo "$name: ${wall}s wall, ${cpu}s CPU, $((peak / 1024)) MiB" >&2
}

: > "$WORK/runs.txt"
# Each run writes to a folder that never existed: writing right after `rm -rf` of the previous
# output makes ext4 scan its recently deleted inodes on every create, which measured the file
# system rather than the indexers (it tripled zeitgeist's wall time).
rm -rf "$WORK"/runs && mkdir -p "$WORK/runs"
for i in $(seq "$RUNS"); do
  measure pagefind "$WORK/node_modules/.bin/pagefind" --site "$CORPUS/public" --output-path "$WORK/runs/pagefind.$i"
  measure zeitgeist "$ROOT/target/release/examples/search_index" "$CORPUS/content" "$WORK/runs/zeitgeist.$i"
  grep -o 'indexed in [0-9.]* s' "$WORK/zeitgeist.err" | awk '{print "zeitgeist-index-only", $3, 0, 0}' >> "$WORK/runs.txt"
done
rm -rf "$CORPUS/public/pagefind" "$ZG_OUT"
mv "$WORK/runs/pagefind.$RUNS" "$CORPUS/public/pagefind"
mv "$WORK/runs/zeitgeist.$RUNS" "$ZG_OUT"
rm -rf "$WORK/runs"

python3 "$ROOT/../shared/bench/pagefind_query_bytes.py" "$CORPUS/public/pagefind" "${WORDS[@]}" --json > "$WORK/pagefind_bytes.json"
node "$ROOT/bench/pagefind_top.mjs" "$CORPUS/public/pagefind" "${WORDS[@]}" > "$WORK/pagefind_top.json" 2>/dev/null

# Zeitgeist: for each word a fresh client (first query), and a client that already ran another
# query (later query: meta and JS cached).
queries=$(python3 -c 'import json,sys; w=sys.argv[1:]; print(json.dumps([q for x in w for q in ({"q":x,"fresh":True},{"q":"zebra","fresh":True},{"q":x})]))' "${WORDS[@]}")
node "$ROOT/tests/search_client.js" "$ZG_OUT" "$queries" > "$WORK/zeitgeist_queries.json"

python3 - "$WORK" "$ROOT/themes/zeitgeist/static/js/search.js" "$RUNS" <<'PY' | tee "$WORK/report.md"
import gzip, json, os, statistics, sys
work, js, runs = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {}
for line in open(os.path.join(work, "runs.txt")):
    name, wall, peak, cpu = line.split()
    rows.setdefault(name, []).append((float(wall), int(peak), float(cpu)))
med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v), min(r[0] for r in v), max(r[0] for r in v), statistics.median(r[2] for r in v)) for k, v in rows.items()}
pf = json.load(open(os.path.join(work, "pagefind_bytes.json")))
pf_top = json.load(open(os.path.join(work, "pagefind_top.json")))
zq = json.load(open(os.path.join(work, "zeitgeist_queries.json")))
js_raw = os.path.getsize(js)
js_gz = len(gzip.compress(open(js, "rb").read(), 9))
zg_dir = os.path.join(work, "zeitgeist-search")
zg_total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(zg_dir) for f in fs) + js_gz
loaded = lambda r: sum(l["bytes"] for l in r["loaded"])

gib = lambda kib: f"{kib / 1048576:.2f} GiB" if kib > 1048576 else f"{kib / 1024:.0f} MiB"
pw, pm, plo, phi, pc = med["pagefind"]
zw, zm, zlo, zhi, zc = med["zeitgeist"]
zi = med["zeitgeist-index-only"][0]
print(f"## Search index: zeitgeist vs Pagefind 1.6.0 (10,000-page corpus, median of {runs})\n")
print("| | Pagefind | zeitgeist | ratio |\n|---|---|---|---|")
print(f"| index time (wall) | {pw:.1f} s ({plo:.1f}–{phi:.1f}) | {zw:.2f} s ({zlo:.2f}–{zhi:.2f}); index build alone {zi:.2f} s | {zw / pw:.3f} |")
print(f"| CPU time (user + sys) | {pc:.1f} s | {zc:.2f} s | {zc / pc:.3f} |")
print(f"| peak memory | {gib(pm)} | {gib(zm)} | {zm / pm:.3f} |")
print(f"| total size on disk | {pf['bundle_bytes_total']:,} B | {zg_total:,} B | {zg_total / pf['bundle_bytes_total']:.2f} |")
print(f"| client code (gzip -9) | {pf['js_gzip9']:,} B JS + {pf['fixed_files']['wasm.en.pagefind']:,} B WASM | {js_gz:,} B JS ({js_raw:,} B raw) | |")
print("\n| query | Pagefind first | zeitgeist first | Pagefind later | zeitgeist later | matches (Pagefind / zeitgeist) |\n|---|---|---|---|---|---|")
for i, q in enumerate(pf["queries"]):
    first, later = zq[3 * i], zq[3 * i + 2]
    assert first["q"] == q["term"] == later["q"]
    print(f"| {q['term']} | {q['first_query_total_bytes_js_gzipped']:,} B | {js_gz + loaded(first):,} B | "
          f"{q['query_only_bytes_after_init']:,} B | {loaded(later):,} B | {q['matching_pages']:,} / {first['total']:,}{'+' if first['capped'] else ''} |")
print("\nTop 5 per query (title — URL):\n")
for i, p in enumerate(pf_top):
    z = zq[3 * i]
    print(f"**{p['q']}**\n\n| # | Pagefind | zeitgeist |\n|---|---|---|")
    for n in range(5):
        a = p["top"][n] if n < len(p["top"]) else {"t": "", "u": ""}
        b = z["top"][n] if n < len(z["top"]) else {"t": "", "u": ""}
        print(f"| {n + 1} | {a['t']} — {a['u'].replace('http://site', '')} | {b['t']} — {b['u']} |")
    print()
PY

if [ -n "${SCALE_RECORDS:-}" ]; then
  # A new folder each time, for the same ext4 reason as above; a million files take minutes to
  # delete, so the bundle is removed only once the report is written.
  scale=$(mktemp -d "$WORK/scale.XXXXXX")
  measure "zeitgeist-$SCALE_RECORDS-records" "$ROOT/target/release/examples/search_index" --records "$SCALE_RECORDS" "$scale"
  head -1 "$WORK/zeitgeist-$SCALE_RECORDS-records.err"
  node "$ROOT/tests/search_client.js" "$scale" \
    '[{"q":"gpu","fresh":true},{"q":"zebra","fresh":true},{"q":"copyright"},{"q":"deepseek","fresh":true},{"q":"openai","filters":{"platform":["reddit"]}},{"q":"model","from":"2024-01-01","to":"2024-01-31"}]' \
    > "$WORK/scale_queries.json"
  python3 - "$WORK/scale_queries.json" "$ROOT/themes/zeitgeist/static/js/search.js" <<'PY' | tee -a "$WORK/report.md"
import gzip, json, sys
js = len(gzip.compress(open(sys.argv[2], "rb").read(), 9))
print("\n| query | kind | bytes | files besides fragments | matches |\n|---|---|---|---|---|")
for r in json.load(open(sys.argv[1])):
    got = sum(l["bytes"] for l in r["loaded"])
    first = any(l["path"] == "meta.zsm" for l in r["loaded"])
    files = ", ".join(l["path"].split("/", 1)[-1] + f" {l['bytes']} B" for l in r["loaded"] if not l["path"].endswith(".zsf"))
    print(f"| {r['q']} | {'first' if first else 'later'} | {got + (js if first else 0):,} B | {files} | {r['total']:,}{'+' if r['capped'] else ''} |")
PY
  rm -rf "$scale"
fi
