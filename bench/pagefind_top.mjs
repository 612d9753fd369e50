// Runs Pagefind's own pagefind.js (its WASM search, no worker) under node against a built
// bundle and prints the top results per query, for comparison with zeitgeist's results.
//   node bench/pagefind_top.mjs PUBLIC_DIR/pagefind WORD...
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle, ...words] = process.argv.slice(2);
const root = path.resolve(bundle, '..');
// pagefind.js fetches files by URL; serve them from disk ("http://site/" stands for the root).
globalThis.fetch = async (url) => {
  const file = path.join(root, new URL(url, 'http://site/').pathname);
  const bytes = await readFile(file);
  return new Response(bytes, { status: 200 });
};
globalThis.location = new URL('http://site/');
const pagefind = await import(pathToFileURL(path.join(bundle, 'pagefind.js')).href);
await pagefind.options({ basePath: 'http://site/pagefind/' });
await pagefind.init();
const out = [];
for (const word of words) {
  const search = await pagefind.search(word);
  const top = await Promise.all(search.results.slice(0, 5).map((r) => r.data()));
  out.push({ q: word, total: search.results.length, top: top.map((d) => ({ t: d.meta.title, u: d.url })) });
}
console.log(JSON.stringify(out));
