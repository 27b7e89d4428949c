// Talking to the admin API: every change carries the CSRF token read from /session; an error
// answer becomes an Error whose message is the server's words.
let csrf = '';

export async function session() {
  const r = await fetch('/session', { credentials: 'same-origin' });
  if (r.status === 401) {
    location.replace('/login');
    throw new Error('login needed');
  }
  const s = await r.json();
  csrf = s.csrf ?? '';
  return s;
}

export async function call(method, url, body, type = 'application/json') {
  const headers = { 'x-csrf-token': csrf };
  let data;
  if (body !== undefined) {
    headers['content-type'] = type;
    data = type === 'application/json' ? JSON.stringify(body) : body;
  }
  let r;
  try {
    r = await fetch(url, { method, headers, body: data, credentials: 'same-origin' });
  } catch {
    throw new Error('the server cannot be reached');
  }
  const text = await r.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (r.status === 401) {
    location.replace('/login');
    throw new Error('login needed');
  }
  if (!r.ok) throw new Error(parsed?.error ?? `the server answered ${r.status} ${r.statusText}`);
  return parsed ?? text;
}

export const get = (url) => call('GET', url);

/** Builds an element: h('td', { className: 'x' }, 'text', child). Text is always text, never HTML. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el[k] = v;
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function fill(parent, rows, empty, columns = 1) {
  parent.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { className: 'empty', colSpan: columns }, empty))]));
}

const errorBox = () => document.getElementById('error');

export function showError(err) {
  const box = errorBox();
  box.textContent = err instanceof Error ? err.message : String(err);
  box.hidden = false;
}

export function clearError() {
  errorBox().hidden = true;
}

/** Runs an action from a button: errors shown in words, the view refreshed after. */
export async function act(fn, after) {
  clearError();
  try {
    await fn();
  } catch (err) {
    showError(err);
  }
  if (after) await after();
}

export function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return duration(s);
}

export function duration(s) {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function bytes(n) {
  if (n === null || n === undefined) return 'unknown';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}
