// The aggregator's HTTP/JSON API (docs/http-api.md), called with the API
// key kept in this tab's session storage and sent as a Bearer header,
// never as a cookie.

const KEY = 'ap.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function signIn(key) {
  sessionStorage.setItem(KEY, key);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

// `query`: {name: value or [values]}; empty values are left out.
export async function call(method, path, { query = {}, body, key } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query)) {
    for (const v of [].concat(value)) {
      if (v !== undefined && v !== null && v !== '') {
        url.searchParams.append(name, v);
      }
    }
  }
  const headers = { Authorization: `Bearer ${key || apiKey() || ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch (e) {
    throw new ApiError(response.status, { message: text.slice(0, 200) });
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, query) => call('GET', path, { query });
export const post = (path, body = {}) => call('POST', path, { body });

const wf = (id) => `/v1/workflows/${encodeURIComponent(id)}`;

export const api = {
  caller: (key) => call('GET', '/v1/caller', { key }),
  overview: () => get('/v1/overview'),
  operators: () => get('/v1/operators'),
  workflows: (query) => get('/v1/workflows', query),
  workflow: (id) => get(wf(id)),
  executions: (id, query) => get(`${wf(id)}/executions`, query),
  examine: (id, since, until) => get(`${wf(id)}:examine`, { since, until }),
  notifications: (id) => get(`${wf(id)}/notifications`),
  pause: (id) => post(`${wf(id)}:pause`),
  resume: (id) => post(`${wf(id)}:resume`),
  cancel: (id) => post(`${wf(id)}:cancel`),
  trigger: (id) => post(`${wf(id)}:trigger`),
  backfill: (id, from, to, dryRun) =>
    post(`${wf(id)}:backfill`, { from, to, dryRun }),
};
