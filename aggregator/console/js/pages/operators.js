// The operators: connected or not, capacity and load, version, last seen,
// endpoint (GET /v1/operators), refreshed every 5 s.

import { api } from '../api.js';
import { h, replace, table } from '../dom.js';
import * as fmt from '../format.js';

function row(op) {
  return h('tr', { class: 'operator' },
    h('td', {}, op.id),
    h('td', { class: op.connected ? 'yes' : 'no' },
      op.connected ? 'connected' : 'not connected'),
    h('td', { class: 'num' }, op.capacity || 0),
    h('td', { class: 'num' }, op.running || 0),
    h('td', { class: 'num' }, op.queueDepth || 0),
    h('td', {}, op.version || ''),
    h('td', { title: fmt.time(op.lastSeen) }, fmt.relative(op.lastSeen)),
    h('td', { title: fmt.time(op.connectedSince) },
      fmt.relative(op.connectedSince)),
    h('td', {}, op.pingLatency ? fmt.ms(fmt.durationMs(op.pingLatency)) : ''),
    h('td', {}, op.endpoint || ''));
}

export async function render(ctx) {
  const draw = async () => {
    const { operators = [] } = await api.operators();
    if (!ctx.current()) return;
    const connected = operators.filter((o) => o.connected).length;
    replace(ctx.main,
      h('h2', {}, `Operators (${connected} of ${operators.length} connected)`),
      operators.length === 0
        ? h('p', { class: 'muted' },
          'No operator is allowed yet: apctl operators add --id=…')
        : table(['id', 'state', 'capacity', 'running', 'queued', 'version',
          'last seen', 'connected since', 'ping', 'endpoint'],
        operators.map(row), { id: 'operators' }),
      h('p', { class: 'muted' }, 'Refreshes every 5 s.'));
  };
  await draw();
  ctx.every(5000, draw);
}
