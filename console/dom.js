// DOM helpers of the console. Everything rendered goes through h(), which puts strings in text
// nodes (never HTML): record keys, values and headers are untrusted input.

/** An element: h('td', { className: 'num' }, 'text', child, ...). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'className' || k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A table from a header row and rows of cells; a cell is a value or { v, className }. */
export function table(headers, rows, id) {
  const cell = (tag, c) => (c !== null && typeof c === 'object' && !(c instanceof Node) ? h(tag, { className: c.className }, c.v) : h(tag, {}, c));
  return h('table', { id },
    h('thead', {}, h('tr', {}, headers.map((x) => cell('th', x)))),
    h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: headers.length, className: 'muted' }, 'none')) : rows.map((r) => h('tr', {}, r.map((c) => cell('td', c))))));
}

export const num = (v) => ({ v: v === null || v === undefined ? '–' : String(v), className: 'num' });
/** A header of a numeric column (right-aligned like its cells). */
export const numHead = (v) => ({ v, className: 'num' });

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function link(href, text) {
  return h('a', { href }, text);
}

export function message(kind, text) {
  return h('div', { className: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** GET or write JSON; rejects with the server's message. */
export async function api(path, init) {
  const res = await fetch(path, init);
  let body;
  try { body = await res.json(); } catch { body = { error: `${res.status} ${res.statusText}` }; }
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export function write(path, method, payload) {
  return api(path, { method, headers: { 'Content-Type': 'application/json', 'X-Tributary-Console': '1' }, body: JSON.stringify(payload) });
}

/** A small line chart as inline SVG. */
export function sparkline(values, width = 320, height = 70) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' ');
  const area = document.createElementNS(NS, 'polygon');
  area.setAttribute('points', `0,${height} ${pts} ${width},${height}`);
  area.setAttribute('fill', '#1f6feb22');
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', pts);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#1f6feb');
  line.setAttribute('stroke-width', '1.5');
  svg.append(area, line);
  return svg;
}

/** Bytes of a base64 text (the API sends keys, values and header values so). */
export function fromBase64(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function hex(bytesArray) {
  const lines = [];
  for (let i = 0; i < bytesArray.length; i += 16) {
    const row = Array.from(bytesArray.subarray(i, i + 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${row}`);
  }
  return lines.join('\n');
}

/** A key or value as the chosen format: text, json (pretty when it parses; text otherwise) or hex. */
export function shown(b64, format) {
  if (b64 === null) return null;
  const b = fromBase64(b64);
  if (format === 'hex') return hex(b);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b);
  if (format === 'json') {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
  }
  return text;
}

/** Polls `fn` every `ms` while the page is shown; returns the stop function. */
export function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    const status = document.getElementById('status');
    try {
      await fn();
      status.textContent = '';
    } catch (err) {
      status.textContent = `refresh failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => { stopped = true; clearTimeout(timer); };
}
