#!/usr/bin/env bash
# Static-site generator benchmark: builds the shared synthetic corpus with Hugo and with
# zeitgeist (release build), RUNS times each, and prints the median wall time, CPU time
# (user + system) and peak memory of each, their ratios, and the time `zeitgeist serve` takes
# to re-render after a one-page edit. See bench/README.md for what is compared and why.
#
# Usage: bench/ssg.sh            (PAGES=10000 RUNS=3 by default)
#        PAGES=2000 RUNS=5 WORK=/tmp/ssg bench/ssg.sh
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PAGES="${PAGES:-10000}"
RUNS="${RUNS:-3}"
EDITS="${EDITS:-5}"
# Memory-backed by default: this machine's disk is ext4 without a journal, where creating
# inodes shortly after deleting others gets slower with every run (ext4 skips "recently
# deleted" inodes), which measures the file system rather than the generators.
# Set WORK to a disk folder to measure that too.
if [ -d /dev/shm ]; then DEFAULT_WORK=/dev/shm/zeitgeist-ssg-bench; else DEFAULT_WORK=/tmp/zeitgeist-ssg-bench; fi
WORK="${WORK:-$DEFAULT_WORK}"
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

# The zeitgeist copy of the site. Front matter is strict (unknown keys are errors), so the
# Hugo-only top-level `tags:` line is dropped; the same terms stay under `taxonomies: {tags}`.
SITE="$WORK/zeitgeist-site"
rm -rf "$SITE"
mkdir -p "$SITE"
cp -r "$CORPUS/content" "$SITE/content"
find "$SITE/content" -name '*.md' -exec sed -i '/^tags: \[/d' {} +
cp -r "$REPO/bench/templates" "$SITE/templates"
cat > "$SITE/site.toml" <<'EOF'
title = "SSG bench"
base_url = "https://example.com/"
paginate = 20
taxonomies = ["tags"]

[feeds]
rss = false
atom = false
EOF

# measure NAME OUTPUT_DIR COMMAND...: one cold build (output removed first) under /usr/bin/time;
# appends "name wall_s cpu_s peak_kib" to $WORK/runs.txt.
measure() {
    local name="$1" output="$2"
    shift 2
    rm -rf "$output"
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
    echo "run $run/$RUNS" >&2
    measure hugo "$WORK/hugo-public" hugo --source "$CORPUS" --destination "$WORK/hugo-public" --quiet
    measure zeitgeist "$SITE/public" "$ZEITGEIST" --root "$SITE" build
done

echo "== full build, $PAGES pages, median of $RUNS (min–max)"
python3 - "$WORK/runs.txt" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, wall, cpu, rss = line.split()
    runs.setdefault(name, []).append((float(wall), float(cpu), int(rss) / 1024 / 1024))
med = {n: [statistics.median(r[i] for r in rs) for i in range(3)] for n, rs in runs.items()}
print(f"{'':10} {'wall s':>16} {'cpu s':>16} {'peak GiB':>10}")
for name, rs in runs.items():
    lo = [min(r[i] for r in rs) for i in range(3)]
    hi = [max(r[i] for r in rs) for i in range(3)]
    m = med[name]
    print(f"{name:10} {m[0]:6.2f} ({lo[0]:.2f}–{hi[0]:.2f}) {m[1]:6.2f} ({lo[1]:.2f}–{hi[1]:.2f}) {m[2]:10.3f}")
z, h = med["zeitgeist"], med["hugo"]
print(f"zeitgeist/hugo: wall {z[0] / h[0]:.2f}x, cpu {z[1] / h[1]:.2f}x, peak memory {z[2] / h[2]:.2f}x")
EOF
echo "zeitgeist output: $(find "$SITE/public" -type f | wc -l) files; hugo output: $(find "$WORK/hugo-public" -type f | wc -l) files"

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
