// Zeitgeist site search: queries the static index under /search/ (built by src/site/search).
// No dependencies and no requests beyond this site. Index text is untrusted: it only ever
// reaches the page through textContent and text nodes.
//
// Markup it enhances (the form works without JavaScript as a plain GET):
//   <form data-zg-search="/search/" action="/search/" method="get" role="search">
//     <input type="search" name="q"> <div data-zg-filters></div> <button>Search</button>
//   </form>
//   <div data-zg-results aria-live="polite"></div>
(function () {
  'use strict';

  // Tokeniser: must match src/site/search/tokenize.rs.
  const WORD = /[\p{Alphabetic}\p{N}]+/gu;
  function stem(w) {
    if (!/^[a-z0-9]+$/.test(w)) return w;
    if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
    if (w.length > 3 && w.endsWith('s') && !/(ss|is)$/.test(w)) return w.slice(0, -1);
    return w;
  }
  const norm = (w) => stem(w.toLowerCase());
  const terms = (text) => (text.match(WORD) || []).map(norm);
  // Query terms of 3+ characters also match longer index terms ("model" → "modeling").
  const PREFIX_MIN = 3;
  const PREFIX_WEIGHT = 0.5;

  function reader(b) {
    let i = 0;
    return {
      more: () => i < b.length,
      v() {
        let x = 0, s = 1, c;
        do { c = b[i++]; x += (c & 127) * s; s *= 128; } while (c & 128);
        return x;
      },
      take(n) { i += n; return b.subarray(i - n, i); },
    };
  }

  async function inflate(b) {
    if (b[0] !== 0x1f || b[1] !== 0x8b) return b; // the host already decoded it
    const s = new Blob([b]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(s).arrayBuffer());
  }

  const utf8 = new TextDecoder();
  const json = (b) => JSON.parse(utf8.decode(b));

  // Chunk: [{term, df, ids: Uint32Array, imp: Uint8Array}] in term order (see index.rs).
  function parseChunk(b) {
    const r = reader(b), out = [];
    let prev = new Uint8Array(0);
    while (r.more()) {
      const shared = r.v(), suffix = r.take(r.v());
      const bytes = new Uint8Array(shared + suffix.length);
      bytes.set(prev.subarray(0, shared)); bytes.set(suffix, shared);
      const df = r.v(), n = r.v(), ids = new Uint32Array(n), imp = new Uint8Array(n);
      for (let k = 0, id = 0; k < n; k++) { id += r.v(); ids[k] = id; imp[k] = r.take(1)[0]; }
      out.push({ term: utf8.decode(bytes), df, ids, imp });
      prev = bytes;
    }
    return out;
  }

  function parseIds(b) {
    const r = reader(b), ids = new Set();
    for (let id = 0; r.more();) { id += r.v(); ids.add(id); }
    return ids;
  }

  // Date runs: [[dayCode, count]], ids in order (newest first); dayCode 0 = undated.
  function parseRuns(b) {
    const r = reader(b), out = [];
    while (r.more()) out.push([r.v(), r.v()]);
    return out;
  }
  const dayCode = (iso) => Math.floor(Date.parse(iso + 'T00:00:00Z') / 864e5) + 1;

  // Last index i with list[i] <= key (0 when key sorts first). Compares by UTF-16 code units;
  // terms are lowercase words where that agrees with the builder's byte order except for
  // characters beyond U+FFFF, which then fall into a neighbouring chunk and are not found.
  function floor(list, key) {
    let lo = 0, hi = list.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid] <= key) lo = mid + 1; else hi = mid; }
    return Math.max(0, lo - 1);
  }

  // createSearch(base, load?): load(path) → Promise<Uint8Array>; defaults to fetch(base + path).
  function createSearch(base, load) {
    load = load || ((p) => fetch(base + p).then((r) => {
      if (!r.ok) throw new Error(`search index: ${p}: HTTP ${r.status}`);
      return r.arrayBuffer();
    }).then((a) => new Uint8Array(a)));
    const cache = new Map();
    const get = (p, parse) => {
      if (!cache.has(p)) cache.set(p, load(p).then(inflate).then(parse));
      return cache.get(p);
    };
    const meta = () => get('meta.zsm', json).then((m) => {
      if (m.format !== 1) throw new Error(`search index: unknown format ${m.format}`);
      return m;
    });

    async function chunkFor(m, term) {
      let dir = m.dir, start = 0;
      for (let level = m.depth; ; level--) {
        const child = start + floor(dir, term);
        if (level === 0) return get(`${m.build}/c/${child}.zsc`, parseChunk);
        ({ dir, base: start } = await get(`${m.build}/d/${level}-${child}.zsd`, json));
      }
    }

    // Filters: {key: [values]} (any value of a key, every key), from/to: 'YYYY-MM-DD'.
    async function allowed(m, opts) {
      const tests = [];
      for (const [key, values] of Object.entries(opts.filters || {})) {
        const k = m.filters.findIndex((f) => f[0] === key);
        if (!values.length || k < 0) continue;
        const sets = await Promise.all(values.map((v) => {
          const i = m.filters[k][1].findIndex((e) => e[0] === v);
          return i < 0 ? new Set() : get(`${m.build}/x/${k}-${i}.zsx`, parseIds);
        }));
        tests.push((id) => sets.some((s) => s.has(id)));
      }
      if (opts.from || opts.to) {
        const runs = await get(`${m.build}/t.zst`, parseRuns);
        const lo = opts.from ? dayCode(opts.from) : 1, hi = opts.to ? dayCode(opts.to) : Infinity;
        const ranges = [];
        let id = 0;
        for (const [day, n] of runs) { if (day >= lo && day <= hi) ranges.push([id, id + n]); id += n; }
        tests.push((x) => ranges.some(([a, b]) => x >= a && x < b));
      }
      return (id) => tests.every((t) => t(id));
    }

    // Ranks documents: those matching more query terms first, then by summed BM25
    // (idf from df × the stored impact), then newest first (lower id).
    async function query(q, opts = {}) {
      const m = await meta();
      const qs = [...new Set(terms(q))];
      if (!qs.length || !m.dir.length) return { total: 0, capped: false, ids: [], terms: qs };
      const [chunks, ok] = await Promise.all([Promise.all(qs.map((t) => chunkFor(m, t))), allowed(m, opts)]);
      const score = new Map(), hits = new Map();
      let capped = false; // a posting list was cut to its best entries: more matches exist
      qs.forEach((t, qi) => {
        const chunk = chunks[qi], best = new Map();
        for (let i = floor(chunk.map((e) => e.term), t); i < chunk.length; i++) {
          const e = chunk[i];
          if (e.term < t) continue;
          const exact = e.term === t;
          if (!exact && (t.length < PREFIX_MIN || !e.term.startsWith(t))) break;
          capped = capped || e.df > e.ids.length;
          const idf = Math.log(1 + (m.docs - e.df + 0.5) / (e.df + 0.5));
          const w = idf * (exact ? 1 : PREFIX_WEIGHT) / 255;
          for (let k = 0; k < e.ids.length; k++) {
            const id = e.ids[k], s = w * e.imp[k];
            if (ok(id) && !(best.get(id) >= s)) best.set(id, s);
          }
        }
        for (const [id, s] of best) { score.set(id, (score.get(id) || 0) + s); hits.set(id, (hits.get(id) || 0) + 1); }
      });
      const ids = [...score.keys()].sort((a, b) => hits.get(b) - hits.get(a) || score.get(b) - score.get(a) || a - b);
      return { total: ids.length, capped, ids, terms: qs };
    }

    const fragments = async (ids) => {
      const m = await meta();
      return Promise.all(ids.map((id) => get(`${m.build}/f/${Math.floor(id / 1000)}/${id % 1000}.zsf`, json)));
    };
    return { meta, query, fragments };
  }

  // Splits text into [text, isMatch] pieces: words equal to a query term or, for terms of
  // PREFIX_MIN+ characters, starting with it.
  function highlight(text, qs) {
    const out = [];
    let last = 0;
    for (const m of text.matchAll(WORD)) {
      const w = norm(m[0]);
      if (!qs.some((t) => w === t || (t.length >= PREFIX_MIN && w.startsWith(t)))) continue;
      if (m.index > last) out.push([text.slice(last, m.index), false]);
      out.push([m[0], true]);
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push([text.slice(last), false]);
    return out;
  }

  function marked(doc, tag, text, qs) {
    const el = doc.createElement(tag);
    for (const [s, hit] of highlight(text, qs)) {
      if (hit) { const mk = doc.createElement('mark'); mk.textContent = s; el.appendChild(mk); }
      else el.appendChild(doc.createTextNode(s));
    }
    return el;
  }

  // Only http(s) and site-relative links become hrefs (no javascript:, data:, …).
  function safeHref(url, page) {
    try { return ['http:', 'https:'].includes(new URL(url, page).protocol) ? url : null; }
    catch (_) { return null; }
  }

  // The name readers see for a filter value (the meta file's labels), and for a filter key.
  const KEY_NAMES = { kind: 'Type', platform: 'Platform', beats: 'Beat', categories: 'Category' };
  const nameOf = (labels, key, value) => ((labels || {})[key] || {})[value] || value;
  const keyName = (key) => KEY_NAMES[key] || key;
  // 'YYYY-MM-DD' as '28 Jun 2026'.
  const showDate = (d) => new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

  // One result as a list item, built with DOM calls only; `labels` names the filter values.
  function renderResult(doc, f, qs, page, labels) {
    const li = doc.createElement('li');
    li.className = 'zg-result';
    const title = marked(doc, 'a', f.t, qs);
    const href = safeHref(f.u, page);
    if (href) title.setAttribute('href', href);
    const h = doc.createElement('h3');
    h.appendChild(title);
    const info = doc.createElement('p');
    info.className = 'zg-result-meta';
    const facts = [nameOf(labels, 'kind', f.k), ...Object.entries(f.f || {}).flatMap(([k, vs]) => vs.map((v) => nameOf(labels, k, v)))];
    if (f.d) { const time = doc.createElement('time'); time.setAttribute('datetime', f.d); time.textContent = showDate(f.d); info.appendChild(time); }
    info.appendChild(doc.createTextNode((f.d ? ' · ' : '') + facts.join(' · ')));
    li.append(h, info, marked(doc, 'p', f.e, qs));
    return li;
  }

  const PAGE = 5;

  function mount(form) {
    const doc = form.ownerDocument, page = doc.location.href;
    const input = form.querySelector('input[name="q"]');
    const out = doc.querySelector('[data-zg-results]');
    const filterBox = form.querySelector('[data-zg-filters]');
    const search = createSearch(new URL(form.dataset.zgSearch || '/search/', page).href);
    let run = 0, timer = 0, shown = null;

    const status = (text) => { out.replaceChildren(); const p = doc.createElement('p'); p.textContent = text; out.appendChild(p); };

    // The page's own URL sets the first query and filters, so results are linkable and the
    // form's plain GET submit (before this script ran) lands on a search that runs.
    const linked = new URLSearchParams(doc.location.search);
    let filtersReady = null;
    const showFilters = () => filtersReady || (filtersReady = buildFilters().catch((e) => { filtersReady = null; throw e; }));

    async function buildFilters() {
      if (!filterBox) return;
      const m = await search.meta();
      for (const [key, values] of m.filters) {
        const label = doc.createElement('label'), select = doc.createElement('select');
        select.name = key;
        select.add(new Option(`${keyName(key)}: all`, ''));
        for (const [v, n] of values) select.add(new Option(`${nameOf(m.labels, key, v)} (${n})`, v));
        label.append(select);
        filterBox.append(label);
      }
      for (const name of ['from', 'to']) {
        const label = doc.createElement('label'), date = doc.createElement('input');
        date.type = 'date'; date.name = name;
        label.append(`${name} `, date);
        filterBox.append(label);
      }
      for (const el of filterBox.querySelectorAll('select, input')) if (linked.get(el.name)) el.value = linked.get(el.name);
    }

    // The form's own fields: q, one select per filter key, from/to dates.
    const fields = () => [...new FormData(form)].filter(([, v]) => v);
    function options() {
      const opts = { filters: {} };
      for (const [k, v] of fields()) {
        if (k === 'from' || k === 'to') opts[k] = v;
        else if (k !== 'q') (opts.filters[k] = opts.filters[k] || []).push(v);
      }
      return opts;
    }

    async function more() {
      const mine = run, ids = shown.ids.slice(shown.count, shown.count + PAGE);
      const [frags, m] = await Promise.all([search.fragments(ids), search.meta()]);
      if (mine !== run) return;
      shown.count += ids.length;
      for (const f of frags) shown.list.appendChild(renderResult(doc, f, shown.terms, page, m.labels));
      shown.button.hidden = shown.count >= shown.ids.length;
    }

    async function go() {
      const mine = ++run, q = input.value.trim();
      if (!q) { history.replaceState(null, '', '?' + new URLSearchParams(fields())); out.replaceChildren(); return; }
      try {
        await showFilters(); // before reading the form: its selects carry the linked filters
        if (mine !== run) return;
        history.replaceState(null, '', '?' + new URLSearchParams(fields()));
        const r = await search.query(q, options());
        if (mine !== run) return;
        if (!r.total) { status(`No results for “${q}”.`); return; }
        status(`${r.capped ? 'More than ' : ''}${r.total} result${r.total === 1 ? '' : 's'} for “${q}”`);
        const list = doc.createElement('ol'), button = doc.createElement('button');
        list.className = 'zg-results';
        button.type = 'button'; button.textContent = 'More results';
        button.addEventListener('click', more);
        out.append(list, button);
        shown = { ids: r.ids, terms: r.terms, count: 0, list, button };
        await more();
      } catch (e) {
        if (mine === run) status(`Search is unavailable: ${e.message}`);
      }
    }

    form.addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(timer); go(); });
    input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(go, 200); });
    input.addEventListener('focus', () => showFilters().catch(() => {}), { once: true });
    if (filterBox) filterBox.addEventListener('change', go);
    if (linked.get('q')) { input.value = linked.get('q'); go(); }
  }

  if (typeof module === 'object' && module.exports) {
    module.exports = { createSearch, terms, highlight, renderResult, safeHref };
  } else {
    const start = () => document.querySelectorAll('form[data-zg-search]').forEach(mount);
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();
  }
})();
