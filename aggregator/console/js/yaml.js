// A workflow's spec as the YAML that `apctl workflow create -f` and
// `apctl apply` read: protobuf's JSON mapping in block style, without the
// fields the aggregator sets.

const OUTPUT_ONLY = ['id', 'owner', 'status', 'completionReason',
  'executionCount', 'lastFiredAt', 'nextFireAt', 'createdAt', 'updatedAt',
  'version'];

export function specOf(workflow) {
  const spec = { ...workflow };
  for (const f of OUTPUT_ONLY) delete spec[f];
  return spec;
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_ ./:@+-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v) {
  if (typeof v === 'string') {
    return PLAIN.test(v) && !RESERVED.test(v) && !v.endsWith(' ') &&
      !v.includes(': ') && !v.includes(' #') ? v : JSON.stringify(v);
  }
  return String(v);
}

const isEmpty = (v) => v === null || v === undefined ||
  (typeof v === 'object' && Object.keys(v).length === 0);

function lines(value, indent, out) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'object' && !isEmpty(item)) {
        const inner = [];
        lines(item, indent + 2, inner);
        out.push(`${pad}- ${inner[0].trimStart()}`, ...inner.slice(1));
      } else {
        out.push(`${pad}- ${isEmpty(item) ? '{}' : scalar(item)}`);
      }
    }
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const name = scalar(k);
    if (typeof v === 'object' && !isEmpty(v)) {
      out.push(`${pad}${name}:`);
      lines(v, indent + 2, out);
    } else {
      out.push(`${pad}${name}: ${isEmpty(v) ? '{}' : scalar(v)}`);
    }
  }
}

export function toYaml(value) {
  const out = [];
  lines(value, 0, out);
  return `${out.join('\n')}\n`;
}
