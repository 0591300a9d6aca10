// The console: a page per route in the location's hash, each built from
// the JSON API only. Signing in is required for every page but #/signin.

import { api, apiKey } from './api.js';
import { replace } from './dom.js';
import * as session from './session.js';
import * as overview from './pages/overview.js';
import * as operators from './pages/operators.js';
import * as signin from './pages/signin.js';
import * as workflow from './pages/workflow.js';
import * as workflows from './pages/workflows.js';

const ROUTES = [
  [/^#\/signin$/, signin, ''],
  [/^#\/overview$/, overview, 'overview'],
  [/^#\/workflows$/, workflows, 'workflows'],
  [/^#\/workflows\/(.+)$/, workflow, 'workflows'],
  [/^#\/operators$/, operators, 'operators'],
];

let timer = null;
let generation = 0;

function header() {
  const who = document.getElementById('who');
  const c = session.caller();
  replace(who, c ? `${c.owner} · ${c.role.replace('ROLE_', '').toLowerCase()}`
    : '');
  document.getElementById('sign-out').hidden = !c;
}

async function render() {
  clearInterval(timer);
  const mine = ++generation;
  const hash = window.location.hash || '#/overview';
  const [path, query] = hash.split('?');
  if (!apiKey() && path !== '#/signin') {
    window.location.hash = `#/signin?next=${encodeURIComponent(hash)}`;
    return;
  }
  if (apiKey() && !session.caller()) {
    try {
      session.setCaller(await api.caller());
    } catch (e) {
      session.showError(e);
      if (e.status === 401 || e.status === 403) return;
    }
  }
  header();
  const route = ROUTES.find(([re]) => re.test(path)) || ROUTES[1];
  const match = path.match(route[0]) || [];
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('current', a.dataset.page === route[2]);
  }
  const main = document.getElementById('main');
  const ctx = {
    main,
    params: new URLSearchParams(query || ''),
    arg: match[1] ? decodeURIComponent(match[1]) : '',
    // Still the page on screen (a slow answer for a page left is dropped).
    current: () => mine === generation,
    // Calls fn every `ms` while this page is on screen.
    every: (ms, fn) => {
      timer = setInterval(() => {
        if (mine === generation) fn().catch(session.showError);
      }, ms);
    },
    rerender: render,
  };
  try {
    await route[1].render(ctx);
  } catch (e) {
    if (ctx.current()) session.showError(e);
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.leave();
  session.clearBanner();
  window.location.hash = '#/signin';
  header();
});
window.addEventListener('hashchange', () => {
  session.clearBanner();
  render();
});
render();
