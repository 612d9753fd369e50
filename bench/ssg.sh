#!/usr/bin/env bash
# Static-site generator benchmark: builds the shared synthetic corpus with Hugo and with
# zeitgeist (release build), RUNS times each, and prints the median wall time, CPU time
# (user + system) and peak memory of each, their ratios, and the time `zeitgeist serve` takes
# to re-render after a one-page edit. See bench/README.md for what is compared and why.
#
# Usage: bench/ssg.sh            (PAGES=10000 RUNS=3 by default)
#        PAGES=2000 RUNS=5 WORK=/dev/shm/ssg bench/ssg.sh
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PAGES="${PAGES:-10000}"
RUNS="${RUNS:-3}"
EDITS="${EDITS:-5}"
# On disk by default, where the issue's Hugo figures were measured (here ext4 without a
# journal, where file creation and deletion cost more than in memory: see the cold/rebuild
# notes below). WORK=/dev/shm/... measures the generators without the file system.
WORK="${WORK:-/tmp/zeitgeist-ssg-bench}"
ZEITGEIST="${ZEITGEIST:-$REPO/target/release/zeitgeist}"
GENERATOR="$REPO/../shared/bench/gen_ssg_corpus.py"

command -v hugo >/dev/null || { echo "hugo is missing: apt-get install hugo" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 1; }
if [ -z "${SKIP_CARGO:-}" ]; then
    cargo build --release --quiet --manifest-path "$REPO/Cargo.toml"
fi
mkdir -p "$WORK"

# The corpus takes a while to write; reuse it while the page count is unchanged.
CORPUS="$WORK/corpus"
if [ "$(cat "$WORK/corpus.pages" 2>/dev/null)" != "$PAGES" ]; then
    python3 "$GENERATOR" --out "$CORPUS" --pages "$PAGES" --force
    echo "$PAGES" > "$WORK/corpus.pages"
fi

TRASH="$WORK/trash"
mkdir -p "$TRASH"
# to_trash PATH...: moves what exists of PATH... into a new folder under $TRASH.
to_trash() {
    local bin
    bin="$(mktemp -d "$TRASH/run.XXXXXX")"
    for path in "$@"; do
        if [ -e "$path" ]; then mv "$path" "$bin/"; fi
    done
}

# The zeitgeist copy of the site. Front matter is strict (unknown keys are errors), so the
# Hugo-only top-level `tags:` line is dropped; the same terms stay under `taxonomies: {tags}`.
SITE="$WORK/zeitgeist-site"
to_trash "$SITE"
mkdir -p "$SITE"
# Written once rather than copied and edited in place (`sed -i` replaces every file, freeing
# 10,000 inodes right before the timed builds).
python3 - "$CORPUS/content" "$SITE/content" <<'EOF'
import pathlib, re, sys
source, target = map(pathlib.Path, sys.argv[1:])
for path in sorted(source.rglob("*")):
    out = target / path.relative_to(source)
    if path.is_dir():
        out.mkdir(parents=True, exist_ok=True)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(re.sub(r"(?m)^tags: \[.*\n", "", path.read_text()))
EOF
cp -r "$REPO/bench/templates" "$SITE/templates"
cat > "$SITE/site.toml" <<'EOF'
title = "SSG bench"
base_url = "https://example.com/"
paginate = 20
taxonomies = ["tags"]
# Hugo writes no plain-text twins either; with them zeitgeist writes 22,020 files to Hugo's 12,035.
text_twins = false

# Hugo's templates for this corpus build no feeds and no search index, so neither does this
# site: search is measured against Pagefind on its own (bench/search.sh, bench/SEARCH.md).
[feeds]
rss = false
atom = false
json = false

[search]
enabled = false
EOF

# Two kinds of build, each measured RUNS times per tool, the tools alternating:
# - cold: the tool's output (and anything it keeps beside it) is moved into $TRASH first, so
#   the build starts from nothing. Moved, not deleted: on ext4 without a journal, inodes freed
#   in the last minutes are skipped one by one by every new file's allocation, so deleting one
#   tool's output right before timing a build charges that deletion to the build (more so for
#   the tool whose output has more files). The trash is deleted once, after all runs.
# - rebuild: the output of the previous build is left in place (the usual case; one untimed
#   warm-up build each first). Hugo rewrites its files in place; zeitgeist renders into its
#   staging folder and swaps it in.
# `sync` before each build, so no tool pays for writing back the previous one's files.
HUGO_OUT="$WORK/hugo-public"
ZEITGEIST_OUT="$SITE/public"
HUGO_BUILD=(hugo --source "$CORPUS" --destination "$HUGO_OUT" --quiet)
ZEITGEIST_BUILD=("$ZEITGEIST" --root "$SITE" build)

# measure NAME COMMAND...: one build under /usr/bin/time; appends
# "name wall_s cpu_s peak_kib" to $WORK/runs.txt.
measure() {
    local name="$1"
    shift
    sync
    /usr/bin/time -v "$@" > "$WORK/$name.stdout" 2> "$WORK/$name.time"
    python3 - "$name" "$WORK/$name.time" >> "$WORK/runs.txt" <<'EOF'
import re, sys
name, path = sys.argv[1], sys.argv[2]
text = open(path).read()
def field(label):
    return re.search(re.escape(label) + r": (.+)", text).group(1).strip()
parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
print(name, f"{wall:.2f}", f"{cpu:.2f}", field("Maximum resident set size (kbytes)"))
EOF
}

: > "$WORK/runs.txt"
for run in $(seq "$RUNS"); do
    echo "cold run $run/$RUNS" >&2
    to_trash "$HUGO_OUT"
    measure hugo-cold "${HUGO_BUILD[@]}"
    to_trash "$ZEITGEIST_OUT" "$SITE"/.zeitgeist-*
    measure zeitgeist-cold "${ZEITGEIST_BUILD[@]}"
done
"${HUGO_BUILD[@]}" > /dev/null
"${ZEITGEIST_BUILD[@]}" > /dev/null
for run in $(seq "$RUNS"); do
    echo "rebuild run $run/$RUNS" >&2
    measure hugo-rebuild "${HUGO_BUILD[@]}"
    measure zeitgeist-rebuild "${ZEITGEIST_BUILD[@]}"
done
rm -rf "$TRASH"

echo "== $PAGES pages, median of $RUNS (min–max)"
python3 - "$WORK/runs.txt" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, wall, cpu, rss = line.split()
    runs.setdefault(name, []).append((float(wall), float(cpu), int(rss) / 1024 / 1024))
med = {n: [statistics.median(r[i] for r in rs) for i in range(3)] for n, rs in runs.items()}
print(f"{'':18} {'wall s':>16} {'cpu s':>16} {'peak GiB':>10}")
for name, rs in runs.items():
    lo = [min(r[i] for r in rs) for i in range(3)]
    hi = [max(r[i] for r in rs) for i in range(3)]
    m = med[name]
    print(f"{name:18} {m[0]:6.2f} ({lo[0]:.2f}–{hi[0]:.2f}) {m[1]:6.2f} ({lo[1]:.2f}–{hi[1]:.2f}) {m[2]:10.3f}")
for mode in ("cold", "rebuild"):
    z, h = med[f"zeitgeist-{mode}"], med[f"hugo-{mode}"]
    print(f"{mode:8} zeitgeist/hugo: wall {z[0] / h[0]:.2f}x, cpu {z[1] / h[1]:.2f}x, peak memory {z[2] / h[2]:.2f}x")
EOF
echo "zeitgeist output: $(find "$ZEITGEIST_OUT" -type f | wc -l) files; hugo output: $(find "$HUGO_OUT" -type f | wc -l) files"

# One-page edits under `zeitgeist serve`: the server prints how long each incremental
# re-render took (from the first event of the debounced batch to the last file in memory).
echo "== one-page edit under serve, $EDITS edits"
"$ZEITGEIST" --root "$SITE" serve --port 0 > "$WORK/serve.stdout" 2> "$WORK/serve.stderr" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
until grep -q serving "$WORK/serve.stdout"; do sleep 0.2; done
grep "full build" "$WORK/serve.stderr"
PAGE="$SITE/content/posts/post-00042.md"
for edit in $(seq "$EDITS"); do
    before=$(grep -c "^rebuil" "$WORK/serve.stderr")
    printf '\nOne more line, edit %s.\n' "$edit" >> "$PAGE"
    until [ "$(grep -c "^rebuil" "$WORK/serve.stderr")" -gt "$before" ]; do sleep 0.05; done
    sleep 0.3
done
grep "post-00042" "$WORK/serve.stderr"
kill "$SERVER"

# The same edits under `hugo server` (on a scratch copy, so the corpus stays as generated);
# Hugo prints "Total in N ms" after each rebuild.
echo "== one-page edit under hugo server, $EDITS edits"
rm -rf "$WORK/hugo-serve-site"
cp -r "$CORPUS" "$WORK/hugo-serve-site"
hugo server --source "$WORK/hugo-serve-site" --bind 127.0.0.1 --port 13131 --disableLiveReload \
    > "$WORK/hugo-serve.log" 2>&1 &
SERVER=$!
until grep -q "Web Server is available" "$WORK/hugo-serve.log"; do sleep 0.5; done
grep "Built in" "$WORK/hugo-serve.log"
PAGE="$WORK/hugo-serve-site/content/posts/post-00042.md"
for edit in $(seq "$EDITS"); do
    before=$(grep -c "Total in" "$WORK/hugo-serve.log" || true)
    printf '\nOne more line, edit %s.\n' "$edit" >> "$PAGE"
    until [ "$(grep -c "Total in" "$WORK/hugo-serve.log" || true)" -gt "$before" ]; do sleep 0.2; done
    sleep 0.3
done
grep "Total in" "$WORK/hugo-serve.log"
kill "$SERVER"
