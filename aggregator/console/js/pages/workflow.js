// One workflow: its actions, a timeline of the fires it should have had
// against what happened (examine), its executions with step results, and
// its spec as YAML.

import { api } from '../api.js';
import { confirmAction } from '../confirm.js';
import { h, replace, table } from '../dom.js';
import * as fmt from '../format.js';
import * as session from '../session.js';
import { specOf, toYaml } from '../yaml.js';
import { trigger } from './workflows.js';

const WINDOWS = { '1h': 3600e3, '6h': 6 * 3600e3, '24h': 24 * 3600e3,
  '7d': 7 * 24 * 3600e3 };

function actions(w, ctx) {
  if (!session.canWrite()) return null;
  const s = w.status;
  const act = (id, text, question, detail, run, extra = null) =>
    h('button', { type: 'button', id, onclick: async () => {
      if (!await confirmAction(question, detail, extra)) return;
      try {
        const message = await run();
        await ctx.rerender();
        session.showNotice(message);
      } catch (e) {
        session.showError(e);
      }
    } }, text);
  const live = s === 'WORKFLOW_STATUS_ACTIVE' || s === 'WORKFLOW_STATUS_PAUSED';
  const from = h('input', { id: 'backfill-from', type: 'datetime-local' });
  const to = h('input', { id: 'backfill-to', type: 'datetime-local' });
  const iso = (input) => {
    if (!input.value) throw new Error('backfill: give both ends of the window');
    return new Date(input.value).toISOString();
  };
  return h('div', { class: 'actions', id: 'actions' },
    s === 'WORKFLOW_STATUS_ACTIVE' && act('pause', 'Pause', `Pause ${w.name}?`,
      'It stops firing; fires that fall while paused are not run later.',
      async () => { await api.pause(w.id); return `${w.name} is paused.`; }),
    s === 'WORKFLOW_STATUS_PAUSED' && act('resume', 'Resume',
      `Resume ${w.name}?`, 'It fires again from the next fire time after now.',
      async () => { await api.resume(w.id); return `${w.name} is resumed.`; }),
    live && act('trigger', 'Run now', `Run ${w.name} now?`,
      'Records a manual execution now, whatever the trigger says.',
      async () => {
        const e = await api.trigger(w.id);
        return `Execution ${e.id} recorded.`;
      }),
    live && act('backfill', 'Backfill…', `Backfill ${w.name}?`,
      'Records an execution for each of the trigger\'s fires in the window ' +
      '(local time, both ends included) that has none yet.',
      async () => {
        const r = await api.backfill(w.id, iso(from), iso(to), false);
        return `Backfill recorded ${(r.recorded || []).length} execution(s).`;
      }, h('div', { class: 'window' }, h('label', {}, 'from ', from),
        h('label', {}, ' to ', to))),
    live && act('cancel', 'Cancel workflow', `Cancel ${w.name} for good?`,
      'It never fires again, and its running executions are canceled.',
      async () => { await api.cancel(w.id); return `${w.name} is canceled.`; }));
}

function timeline(exam, since, until) {
  const span = until - since;
  const fires = exam.expectedFires || [];
  const detail = h('div', { id: 'fire-detail', class: 'muted' },
    fires.length ? 'Click a fire for what happened.' : '');
  const show = (f) => replace(detail,
    h('strong', {}, fmt.time(f.scheduledAt)), ' · ',
    h('span', { class: `badge ${fmt.cls(fmt.diagnosis(f.diagnosis))}` },
      fmt.diagnosis(f.diagnosis)), ' · ',
    h('span', { class: 'reason' }, f.detail || ''),
    f.executionId ? [' · execution ', h('code', {}, f.executionId)] : null);
  const marks = fires.map((f) => {
    const d = fmt.diagnosis(f.diagnosis);
    const mark = h('button', { type: 'button',
      class: `fire ${fmt.cls(d)}`, 'data-diagnosis': f.diagnosis,
      title: `${fmt.time(f.scheduledAt)} · ${d}${f.detail ? `: ${f.detail}` : ''}`,
      onclick: () => show(f) });
    mark.style.left = `${((Date.parse(f.scheduledAt) - since) / span) * 100}%`;
    return mark;
  });
  const others = (exam.otherExecutions || []).map((e) => {
    const s = fmt.status(e.status);
    const mark = h('button', { type: 'button', class: `fire other ${fmt.cls(s)}`,
      title: `${fmt.time(e.scheduledAt)} · ${fmt.cause(e.cause)} · ${s}`,
      onclick: () => replace(detail, `${fmt.time(e.scheduledAt)} · ` +
        `${fmt.cause(e.cause)} execution ${e.id}: ${s} ${e.reason || ''}`) });
    mark.style.left = `${((Date.parse(e.scheduledAt) - since) / span) * 100}%`;
    return mark;
  });
  const kinds = [...new Set(fires.map((f) => fmt.diagnosis(f.diagnosis)))];
  return h('section', { id: 'timeline' },
    h('div', { class: 'track' }, marks, others),
    h('div', { class: 'ends muted' },
      h('span', {}, fmt.time(new Date(since).toISOString())),
      h('span', {}, fmt.time(new Date(until).toISOString()))),
    h('div', { class: 'legend' }, kinds.map((k) =>
      h('span', { class: `swatch ${fmt.cls(k)}` }, k)),
    others.length ? h('span', { class: 'swatch other' }, 'manual / backfill')
      : null),
    detail,
    h('p', { id: 'summary' }, exam.summary || ''),
    exam.upcoming && exam.upcoming.length
      ? h('p', { class: 'muted' }, 'Next fires: ',
        exam.upcoming.slice(0, 5).map(fmt.time).join(', ')) : null);
}

function steps(e) {
  return table(['step', 'status', 'code', 'took', 'output', 'error'],
    (e.stepResults || []).map((r) => h('tr', {},
      h('td', {}, r.stepId),
      h('td', {}, fmt.stepStatus(r.status)),
      h('td', { class: 'num' }, r.httpStatus || r.exitCode || 0),
      h('td', {}, fmt.took(r.startedAt, r.finishedAt)),
      h('td', {}, h('pre', { class: 'output' }, r.output || ''),
        r.outputTruncated ? h('span', { class: 'muted' }, '(cut)') : null),
      h('td', { class: 'error-text' }, r.error || ''))),
    { class: 'steps' });
}

function executions(list) {
  const rows = [];
  for (const e of list) {
    const s = fmt.status(e.status);
    const more = h('tr', { class: 'more', hidden: true },
      h('td', { colspan: 8 },
        e.reason ? h('p', { class: 'reason' }, e.reason) : null, steps(e)));
    rows.push(h('tr', { class: 'execution', 'data-id': e.id,
      onclick: () => { more.hidden = !more.hidden; } },
    h('td', {}, h('code', {}, e.id)),
    h('td', {}, fmt.cause(e.cause)),
    h('td', {}, h('span', { class: `badge ${fmt.cls(s)}` }, s)),
    h('td', {}, fmt.time(e.scheduledAt)),
    h('td', {}, fmt.time(e.startedAt)),
    h('td', {}, fmt.took(e.startedAt, e.finishedAt)),
    h('td', { class: 'num' }, e.attempt || 1),
    h('td', {}, e.operatorId || '')), more);
  }
  return list.length === 0 ? h('p', { class: 'muted' }, 'No executions yet.')
    : table(['execution', 'cause', 'status', 'scheduled', 'started', 'took',
      'attempt', 'operator'], rows, { id: 'executions' });
}

// Notifications not delivered yet (shown only when there are some).
function waiting(list) {
  if (list.length === 0) return null;
  return [
    h('h3', {}, `Notifications waiting for delivery (${list.length})`),
    table(['created', 'target', 'event', 'attempts', 'latest error',
      'next attempt'], list.map((n) => h('tr', { class: 'notification' },
      h('td', {}, fmt.time(n.createdAt)),
      h('td', {}, n.targetId),
      h('td', {}, n.event),
      h('td', { class: 'num' }, n.attempts || 0),
      h('td', { class: 'error-text' }, n.lastError || ''),
      h('td', {}, fmt.time(n.nextAttemptAt)))), { id: 'notifications' }),
  ];
}

export async function render(ctx) {
  const id = ctx.arg;
  const shown = WINDOWS[ctx.params.get('window')] ? ctx.params.get('window')
    : '24h';
  const until = Date.now();
  const since = until - WINDOWS[shown];
  const [w, exam, list, notes] = await Promise.all([
    api.workflow(id),
    api.examine(id, new Date(since).toISOString(),
      new Date(until).toISOString()),
    api.executions(id, { page_size: 25 }),
    api.notifications(id),
  ]);
  if (!ctx.current()) return;
  const s = fmt.workflowStatus(w.status);
  const choose = h('select', { id: 'window', onchange: (event) => {
    window.location.hash =
      `#/workflows/${encodeURIComponent(id)}?window=${event.target.value}`;
  } }, Object.keys(WINDOWS).map((k) =>
    h('option', { value: k, selected: k === shown }, `last ${k}`)));
  replace(ctx.main,
    h('p', {}, h('a', { href: '#/workflows' }, '← Workflows')),
    h('h2', { id: 'workflow-name' }, w.name, ' ',
      h('span', { class: `badge ${fmt.cls(s)}` }, s)),
    h('p', { class: 'muted' }, h('code', {}, w.id), ` · ${trigger(w.trigger)}`,
      ` · version ${w.version || 0} · ${w.executionCount || 0} executions`,
      w.nextFireAt ? ` · next fire ${fmt.time(w.nextFireAt)}` : ''),
    actions(w, ctx),
    h('h3', {}, 'Expected fires and what happened ', choose),
    timeline(exam, since, until),
    waiting(notes.notifications || []),
    h('h3', {}, 'Executions'),
    executions(list.executions || []),
    h('h3', {}, 'Spec'),
    h('pre', { id: 'spec', class: 'yaml' }, toYaml(specOf(w))));
}
