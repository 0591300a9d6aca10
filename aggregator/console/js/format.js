// Times, durations and enum values as people read them.

// "EXECUTION_STATUS_TIMED_OUT" -> "timed out" (the prefix is the type's).
export function label(value, prefix) {
  if (!value) return '';
  const s = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return s.toLowerCase().replace(/_/g, ' ');
}

export const status = (s) => label(s || 'EXECUTION_STATUS_UNSPECIFIED',
  'EXECUTION_STATUS_');
export const workflowStatus = (s) => label(s, 'WORKFLOW_STATUS_');
export const diagnosis = (s) => label(s, 'DIAGNOSIS_');
export const cause = (s) => label(s, 'EXECUTION_CAUSE_');
export const stepStatus = (s) => label(s || 'STEP_STATUS_UNSPECIFIED',
  'STEP_STATUS_');

// A CSS class for a status word: "timed out" -> "timed-out".
export const cls = (word) => word.replace(/ /g, '-');

export function time(ts) {
  if (!ts) return '–';
  return ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// "3m ago", "in 2h".
export function relative(ts, now = Date.now()) {
  if (!ts) return '';
  const ms = Date.parse(ts) - now;
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m`
    : s < 86400 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

// protobuf JSON "1.500s" -> milliseconds.
export function durationMs(d) {
  return d ? parseFloat(d) * 1000 : 0;
}

export function ms(n) {
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60000) return `${(n / 1000).toFixed(1)} s`;
  return `${(n / 60000).toFixed(1)} min`;
}

export function took(start, end) {
  if (!start || !end) return '';
  return ms(Date.parse(end) - Date.parse(start));
}
