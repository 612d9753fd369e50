// The live wire: filters the list by platform and beat, and polls /api/v1/wire.json to put
// new records on top without a reload. Record text is untrusted: it only ever reaches the page
// through textContent, and only http(s) links become links.
(function () {
  'use strict';
  const list = document.querySelector('[data-wire]');
  const filters = document.querySelector('[data-wire-filters]');
  const status = document.querySelector('[data-wire-status]');
  if (!list) return;
  const POLL_MS = Number(list.dataset.wirePoll || 60000);
  const PLATFORMS = { reddit: 'Reddit', bluesky: 'Bluesky', hackernews: 'Hacker News', news: 'News', youtube: 'YouTube', mastodon: 'Mastodon', arxiv: 'arXiv' };
  const platform = (s) => PLATFORMS[s] || s;
  const webUrl = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u.trim()) ? u.trim() : '');

  function applyFilters() {
    const want = {};
    for (const sel of filters.querySelectorAll('[data-filter]')) want[sel.dataset.filter] = sel.value;
    let shown = 0;
    for (const li of list.children) {
      const ok = (!want.source || li.dataset.source === want.source) && (!want.beat || li.dataset.beat === want.beat);
      li.hidden = !ok;
      if (ok) shown++;
    }
    return shown;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // dir=auto isolates a record's text: a bidi override inside it cannot reorder the page.
  function isolated(e) {
    e.dir = 'auto';
    return e;
  }

  function card(item) {
    const li = el('li', 'record fresh src-' + item.source);
    li.dataset.source = item.source || '';
    li.dataset.beat = item.beat || '';
    li.dataset.id = item.id;
    const when = new Date(item.created_at);
    const meta = el('p', 'record-meta');
    meta.append(el('span', 'platform', platform(item.source)), ' · ');
    // Midnight UTC exactly: the source gave the date only, so show no time.
    const dateOnly = /T00:00:00(\.0+)?Z$/.test(item.created_at);
    const time = el('time', '', dateOnly ? when.toUTCString().slice(5, 16) : when.toUTCString().slice(5, 22) + ' UTC');
    time.dateTime = item.created_at;
    meta.append(time, ' · ', el('span', 'new-badge', 'New'));
    li.append(meta);
    if (item.title) li.append(isolated(el('p', 'record-title', item.title)));
    // wire.json's text is already cut at a word.
    if (item.text) li.append(isolated(el('p', 'record-text', item.text)));
    const foot = el('p', 'record-foot');
    if (item.beat_name) foot.append(el('span', 'beat-tag', item.beat_name));
    if (item.sentiment_label) foot.append(el('span', 'sent s-' + item.sentiment_label, item.sentiment_label));
    const url = webUrl(item.url);
    if (url) {
      const a = el('a', 'out', 'Open on ' + platform(item.source) + ' ↗');
      a.href = url;
      a.rel = 'nofollow noopener';
      foot.append(a);
    }
    li.append(foot);
    return li;
  }

  async function poll() {
    try {
      const response = await fetch(list.dataset.wireUrl, { cache: 'no-store' });
      if (!response.ok) return;
      const data = await response.json();
      const known = new Set([...list.children].map((li) => li.dataset.id));
      const fresh = (data.items || []).filter((item) => item && item.id && !known.has(item.id));
      // Items arrive newest first: insert them in reverse so the newest ends up on top.
      for (const item of fresh.reverse()) list.prepend(card(item));
      if (fresh.length) {
        applyFilters();
        status.textContent = fresh.length + ' new record' + (fresh.length === 1 ? '' : 's') + ' at ' + new Date().toLocaleTimeString() + '.';
      }
    } catch (e) {
      // Offline or no API on this build: the list from the last build stays.
    }
  }

  filters.addEventListener('change', () => {
    const n = applyFilters();
    status.textContent = n + ' record' + (n === 1 ? '' : 's') + ' shown.';
  });
  poll();
  setInterval(poll, POLL_MS);
})();
