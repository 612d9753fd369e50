// Runs the real themes/zeitgeist/static/js/search.js under node against a built bundle.
// Used by tests/search.rs and bench/search.sh.
//
//   node tests/search_client.js BUNDLE_DIR QUERIES_JSON
//
// QUERIES_JSON: [{"q": "gpu", "filters": {"platform": ["reddit"]}, "from": "2025-01-01",
// "to": "2025-02-01", "fresh": true, "results": 5}]. Queries share one client (so cached files
// are not fetched twice) unless "fresh" is set. Prints JSON: per query the total, the top
// fragments, the files it fetched with their sizes, and each result rendered through a fake DOM
// that refuses innerHTML-like APIs.
'use strict';
const fs = require('fs');
const path = require('path');
const search = require('../themes/zeitgeist/static/js/search.js');

const [bundle, queriesJson] = process.argv.slice(2);
const queries = JSON.parse(queriesJson);

// A DOM just big enough for renderResult: elements, text nodes, attributes.
class Text { constructor(t) { this.text = String(t); } }
class Element {
  constructor(tag) { this.tag = tag; this.children = []; this.attrs = {}; }
  set textContent(t) { this.children = [new Text(t)]; }
  set className(c) { this.attrs.class = c; }
  set innerHTML(_) { throw new Error('innerHTML used'); }
  set outerHTML(_) { throw new Error('outerHTML used'); }
  insertAdjacentHTML() { throw new Error('insertAdjacentHTML used'); }
  appendChild(c) { this.children.push(c); return c; }
  append(...cs) { cs.forEach((c) => this.appendChild(typeof c === 'string' ? new Text(c) : c)); }
  setAttribute(k, v) { this.attrs[k] = String(v); }
}
const fakeDocument = {
  createElement: (tag) => new Element(tag),
  createTextNode: (t) => new Text(t),
  write() { throw new Error('document.write used'); },
};
const tree = (n) => n instanceof Text ? n.text : { tag: n.tag, attrs: n.attrs, children: n.children.map(tree) };

async function main() {
  let loaded = [];
  const load = async (p) => {
    const bytes = fs.readFileSync(path.join(bundle, p));
    loaded.push({ path: p, bytes: bytes.length });
    return new Uint8Array(bytes);
  };
  let client = null;
  const out = [];
  for (const q of queries) {
    if (q.fresh || !client) client = search.createSearch('', load);
    loaded = [];
    const started = process.hrtime.bigint();
    const r = await client.query(q.q, { filters: q.filters || {}, from: q.from, to: q.to });
    const top = await client.fragments(r.ids.slice(0, q.results || 5));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const rendered = top.map((f) => tree(search.renderResult(fakeDocument, f, r.terms, 'https://zeitgeist.example/search/')));
    out.push({ q: q.q, terms: r.terms, total: r.total, capped: r.capped, top, rendered, loaded, ms });
  }
  process.stdout.write(JSON.stringify(out));
}
main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
