// The caller's workflows (GET /v1/workflows) with filters by status,
// labels and name, each with its next fire, last outcome and a strip of
// its recent executions. The filters live in the location's hash.

import { api } from '../api.js';
import { h, replace, table } from '../dom.js';
import * as fmt from '../format.js';

const STATUSES = ['ACTIVE', 'PAUSED', 'COMPLETED', 'CANCELED'];
const STRIP = 12;

export function trigger(t = {}) {
  if (t.cron) {
    const tz = t.cron.timezone ? ` (${t.cron.timezone})` : '';
    return `cron ${(t.cron.schedules || []).join(' | ')}${tz}`;
  }
  if (t.interval) return `every ${t.interval.every}`;
  if (t.fixedTimes) return `${(t.fixedTimes.times || []).length} fixed times`;
  return 'manual';
}

// "team=data, env=prod" -> {"labels[team]": "data", ...}; a part without
// "=" is an error naming it.
function labelQuery(text) {
  const query = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`label filter "${part}": write key=value`);
    query[`labels[${part.slice(0, eq).trim()}]`] = part.slice(eq + 1).trim();
  }
  return query;
}

function filters(params) {
  const status = h('select', { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s,
      selected: params.get('status') === s }, s.toLowerCase())));
  const labels = h('input', { id: 'filter-labels', name: 'labels',
    placeholder: 'team=data, env=prod', value: params.get('labels') || '' });
  const name = h('input', { id: 'filter-name', name: 'name',
    placeholder: 'name starts with', value: params.get('name') || '' });
  const form = h('form', { id: 'filters', class: 'filters' },
    status, labels, name, h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (labels.value.trim()) q.set('labels', labels.value.trim());
    if (name.value.trim()) q.set('name', name.value.trim());
    window.location.hash = `#/workflows${q.toString() ? `?${q}` : ''}`;
  });
  return form;
}

function strip(executions) {
  return h('span', { class: 'strip' }, executions.slice().reverse().map((e) => {
    const s = fmt.status(e.status);
    return h('span', { class: `cell ${fmt.cls(s)}`,
      title: `${s} · ${fmt.time(e.scheduledAt)}` });
  }));
}

function lastOutcome(executions) {
  const done = executions.find((e) => e.finishedAt);
  if (!done) return h('span', { class: 'muted' }, 'none yet');
  const s = fmt.status(done.status);
  return h('span', { title: done.reason || fmt.time(done.finishedAt) },
    h('span', { class: `badge ${fmt.cls(s)}` }, s), ' ',
    fmt.relative(done.finishedAt));
}

async function row(w) {
  let executions = [];
  let failed = null;
  try {
    executions = (await api.executions(w.id, { page_size: STRIP }))
      .executions || [];
  } catch (e) {
    failed = e.message;
  }
  const s = fmt.workflowStatus(w.status);
  return h('tr', { class: 'workflow', 'data-id': w.id },
    h('td', {}, h('a', { href: `#/workflows/${encodeURIComponent(w.id)}` },
      w.name)),
    h('td', {}, h('span', { class: `badge ${fmt.cls(s)}` }, s)),
    h('td', {}, Object.entries(w.labels || {}).map(([k, v]) =>
      h('span', { class: 'label' }, `${k}=${v}`))),
    h('td', {}, trigger(w.trigger)),
    h('td', { title: fmt.time(w.nextFireAt) },
      w.nextFireAt ? fmt.relative(w.nextFireAt) : '–'),
    h('td', {}, failed ? h('span', { class: 'error-text' }, failed)
      : lastOutcome(executions)),
    h('td', {}, strip(executions)));
}

export async function render(ctx) {
  const query = {
    page_size: 100,
    status: ctx.params.get('status') ? `WORKFLOW_STATUS_${ctx.params.get('status')}`
      : '',
    name_prefix: ctx.params.get('name') || '',
    page_token: ctx.params.get('page') || '',
    ...labelQuery(ctx.params.get('labels') || ''),
  };
  const form = filters(ctx.params);
  replace(ctx.main, h('h2', {}, 'Workflows'), form,
    h('p', { class: 'muted' }, 'Loading…'));
  const answer = await api.workflows(query);
  const list = answer.workflows || [];
  const rows = await Promise.all(list.map(row));
  if (!ctx.current()) return;
  const next = answer.nextPageToken;
  const more = new URLSearchParams(ctx.params);
  more.set('page', next || '');
  replace(ctx.main, h('h2', {}, 'Workflows'), form,
    list.length === 0
      ? h('p', { id: 'no-workflows', class: 'muted' },
        'No workflow matches. Create one with apctl workflow create -f FILE.')
      : table(['name', 'status', 'labels', 'trigger', 'next fire',
        'last outcome', `last ${STRIP}, oldest first`], rows,
      { id: 'workflows' }),
    next ? h('p', {}, h('a', { href: `#/workflows?${more}` }, 'Next page'))
      : null);
}
