// Story pages: remembers what this reader read (localStorage only, never sent anywhere),
// recommends unread stories on the beats and categories read most, and sends the
// "Was this story useful?" answer to the configured endpoint.
(function () {
  'use strict';
  const KEY = 'zeitgeist.read';
  const story = document.querySelector('[data-story]');
  if (!story) return;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(-100))); } catch (e) { /* private mode */ }
  }

  const read = load().filter((r) => r && r.path !== story.dataset.story);
  read.push({ path: story.dataset.story, beat: story.dataset.beat, category: story.dataset.category });
  save(read);

  // Score each unread story: 2 per read story on its beat, 1 per read story in its category.
  const weight = (field) => read.reduce((m, r) => (m[r[field]] = (m[r[field]] || 0) + 1, m), {});
  const beats = weight('beat'), categories = weight('category');
  const readPaths = new Set(read.map((r) => r.path));
  const pool = document.querySelector('[data-rec-pool]');
  const list = document.querySelector('[data-rec-list]');
  if (pool && list) {
    const scored = [...pool.children]
      .filter((li) => !readPaths.has(li.dataset.path))
      .map((li, i) => ({ li, i, score: 2 * (beats[li.dataset.beat] || 0) + (categories[li.dataset.category] || 0) }))
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, 4);
    for (const s of scored) list.appendChild(s.li.cloneNode(true));
    if (scored.length) document.querySelector('[data-recommended]').hidden = false;
  }

  const form = document.querySelector('form[data-feedback]');
  if (form) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const out = form.querySelector('output');
      const body = new URLSearchParams({ story: story.dataset.story, useful: event.submitter ? event.submitter.value : '' });
      fetch(form.action, { method: 'POST', body })
        .then((r) => { out.textContent = r.ok ? 'Thank you.' : 'Could not send your answer.'; })
        .catch(() => { out.textContent = 'Could not send your answer.'; });
      for (const b of form.querySelectorAll('button')) b.disabled = true;
    });
  }
})();
