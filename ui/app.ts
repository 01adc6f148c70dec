/**
 * The /ui page's script: explain a name (as typed or as a pod would resolve it), the live query log
 * over server-sent events read with fetch (so a token travels in a header, never in a URL), failed
 * names, the sources' state and the registry. Plain DOM, no framework: a handful of tables and forms.
 * Every text from the server goes in through textContent, never as HTML (query names are the
 * network's to choose).
 */

// ---- types of the JSON the server sends (src/http/query-log.ts, explain-trace.ts, server.ts) ----
interface QueryRow {
  seq: number;
  time: number;
  client: string;
  transport: string;
  name: string;
  type: string;
  rcode: string;
  nodata: boolean;
  answer: string[];
  latencyMs: number | null;
  answeredBy: string;
  upstream?: string;
}
interface Hint { kind: string; text: string; name?: string }
interface Trace {
  name: string;
  type: string;
  rcode: string;
  status: string;
  rule: string;
  reason: string;
  via?: { suffix: string; clusterName: string; rule: string };
  hints: Hint[];
  objects: { kind: string; namespace: string; name: string; origin: string; detail: string; resourceVersion?: string }[];
  search?: { namespace: string; ndots: number };
  candidates: { name: string; rcode: string; rule: string; reason: string; hints: Hint[] }[];
  settled: number;
  dig: string;
  records: { record: string; source: { kind: string; namespace: string; name: string; origin: string; resourceVersion?: string; leaseSecondsLeft?: number } | null }[];
}
interface FailedName { name: string; type: string; rcode: string; count: number; last: number }
interface Problem { severity: string; text: string; file: string; line: number }
interface Sources {
  ready: boolean;
  zone: string;
  counts?: Record<string, number>;
  serial?: number;
  files: { paths: string[]; files: number; lastReloadAt?: number; lastReloadMs?: number; problems: Problem[]; keptLastGood: string[] };
  kubernetes?: { server: string; synced: boolean; lastEventAt?: number; lastRelistAt?: number; watchRestarts: number; failing: { resource: string; error: string }[] };
  registrations: { kind: string; namespace: string; name: string; key: string; leaseSecondsLeft: number | null }[];
  upstreams: { server: string; state: string; ok: number; timeouts: number; errors: number; lastOkAt?: number; lastRttMs?: number }[];
  workers?: number;
}
interface RecordRow { name: string; type: string; ttl: number; data: string; note?: string }

// ---- small DOM helpers ----
const $ = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
};
type Child = Node | string | undefined | null | false;
function el(tag: string, props: { class?: string; title?: string; onclick?: () => void; dataset?: Record<string, string> } = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.title) node.title = props.title;
  if (props.onclick) node.addEventListener('click', props.onclick);
  if (props.dataset) Object.assign(node.dataset, props.dataset);
  for (const c of children) if (c !== undefined && c !== null && c !== false) node.append(c);
  return node;
}
/** replaceChildren, skipping the parts a view leaves out. */
function fill(node: Element, ...children: Child[]): void {
  node.replaceChildren(...children.filter((c): c is Node | string => c !== undefined && c !== null && c !== false));
}
const clock = (ms: number | undefined): string => (ms === undefined ? '—' : new Date(ms).toLocaleTimeString(undefined, { hour12: false }) + `.${String(ms % 1000).padStart(3, '0')}`);
const ago = (ms: number | undefined): string => (ms === undefined ? 'never' : `${Math.max(0, Math.round((Date.now() - ms) / 1000))} s ago`);

// ---- the token: asked once on the first 401, kept in this variable only (never storage, never a URL) ----
let token: string | undefined;
let tokenWanted: Promise<void> | undefined;
function askForToken(): Promise<void> {
  tokenWanted ??= new Promise<void>((resolve) => {
    const form = $<HTMLFormElement>('token-form');
    form.hidden = false;
    $<HTMLInputElement>('token').focus();
    form.addEventListener(
      'submit',
      (event) => {
        event.preventDefault();
        token = $<HTMLInputElement>('token').value;
        $<HTMLInputElement>('token').value = '';
        form.hidden = true;
        tokenWanted = undefined;
        resolve();
      },
      { once: true },
    );
  });
  return tokenWanted;
}

/** fetch on our own origin with the token (when one was given); a 401 asks for it and tries again. */
async function api(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    const res = await fetch(path, { ...init, headers, cache: 'no-store', credentials: 'omit' });
    if (res.status !== 401) return res;
    await askForToken();
  }
}
async function getJson<T>(path: string): Promise<T> {
  const res = await api(path);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

// ---- resolve and explain ----
/** The name explained last, kept in the URL beside the filters so a link reproduces the whole view. */
let explained: { name: string; type: string; namespace: string | undefined } | undefined;

function syncUrl(): void {
  const params = filterParams();
  if (explained) {
    params.set('explain', explained.name);
    params.set('type', explained.type);
    if (explained.namespace) params.set('namespace', explained.namespace);
  }
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
}

async function explain(name: string, type: string, namespace: string | undefined): Promise<void> {
  explained = { name, type, namespace };
  syncUrl();
  $<HTMLInputElement>('as-pod').checked = namespace !== undefined;
  if (namespace) $<HTMLInputElement>('pod-namespace').value = namespace;
  const nameBox = $<HTMLInputElement>('explain-name');
  nameBox.value = name;
  $<HTMLSelectElement>('explain-type').value = type;
  const out = $('explain-result');
  out.replaceChildren(el('p', { class: 'muted' }, `explaining ${name} ${type}…`));
  const params = new URLSearchParams({ name, type });
  if (namespace) params.set('namespace', namespace);
  try {
    renderTrace(await getJson<Trace>(`/v1/explain?${params}`));
  } catch (error) {
    out.replaceChildren(el('p', { class: 'problem' }, String((error as Error).message)));
  }
  $('explain-section').scrollIntoView({ block: 'nearest' });
}

function renderTrace(t: Trace): void {
  const good = t.status === 'NOERROR' || (t.rcode === 'FORWARDED' && t.status === 'NOERROR');
  const candidates = el(
    'table',
    { class: 'candidates' },
    el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'name tried'), el('th', {}, 'rcode'), el('th', {}, 'rule'), el('th', {}, 'why'))),
    el(
      'tbody',
      {},
      ...t.candidates.map((c, i) =>
        el(
          'tr',
          { class: i === t.settled ? 'settled' : '' },
          el('td', {}, String(i + 1), i === t.settled ? ' ←' : ''),
          el('td', { class: 'mono' }, c.name),
          el('td', { class: `rcode-${c.rcode}` }, c.rcode),
          el('td', {}, c.rule),
          el('td', {}, c.reason, ...c.hints.map((h) => hintLine(h, t.type))),
        ),
      ),
    ),
  );
  const records = t.records.length
    ? el(
        'table',
        { class: 'record-sources' },
        el('thead', {}, el('tr', {}, el('th', {}, 'record'), el('th', {}, 'from'))),
        el('tbody', {}, ...t.records.map((r) => el('tr', {}, el('td', { class: 'mono' }, r.record), el('td', {}, sourceText(r.source))))),
      )
    : undefined;
  fill(
    $('explain-result'),
    el('p', { class: 'verdict' }, el('span', { class: `badge ${good ? 'ok' : 'bad'}` }, t.status), ' ', el('strong', {}, t.name), ` ${t.type}: `, t.reason),
    t.search ? el('p', { class: 'muted' }, `as a pod in namespace ${t.search.namespace} (search ${t.search.namespace}.svc, svc, the zone; ndots:${t.search.ndots})`) : undefined,
    candidates,
    el('h3', {}, 'answer, as dig prints it'),
    el('pre', { class: 'dig' }, t.dig),
    records,
    t.objects.length ? el('ul', { class: 'objects' }, ...t.objects.map((o) => el('li', {}, `${o.kind} ${o.namespace}/${o.name} at ${o.origin}${o.resourceVersion ? ` (resourceVersion ${o.resourceVersion})` : ''}: ${o.detail}`))) : undefined,
  );
}

function hintLine(h: Hint, type: string): HTMLElement {
  const target = h.name;
  return el('div', { class: 'hint' }, '→ ', h.text, target ? ' ' : '', target ? el('button', { class: 'linkish', onclick: () => void explain(target, type, undefined) }, `explain ${target}`) : undefined);
}

function sourceText(s: Trace['records'][number]['source']): string {
  if (!s) return 'the zone itself';
  const extra = [s.resourceVersion ? `resourceVersion ${s.resourceVersion}` : '', s.leaseSecondsLeft !== undefined ? `lease ${s.leaseSecondsLeft} s left` : ''].filter(Boolean).join(', ');
  return `${s.kind} ${s.namespace}/${s.name} at ${s.origin}${extra ? ` (${extra})` : ''}`;
}

function explainFromForm(event: Event): void {
  event.preventDefault();
  const asPod = $<HTMLInputElement>('as-pod').checked;
  const ns = $<HTMLInputElement>('pod-namespace').value.trim();
  void explain($<HTMLInputElement>('explain-name').value.trim(), $<HTMLSelectElement>('explain-type').value, asPod && ns ? ns : undefined);
}

// ---- live queries: filters in the URL, rows over SSE (fetch streaming), pausable ----
const FILTERS = [
  ['rcode', 'f-rcode'],
  ['client', 'f-client'],
  ['name', 'f-name'],
  ['slower', 'f-slower'],
] as const;
const MAX_ROWS = 500;
let paused = false;
let held: QueryRow[] = [];
let stream: AbortController | undefined;

function filterParams(): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, id] of FILTERS) {
    const v = $<HTMLInputElement>(id).value.trim();
    if (v) params.set(key, v);
  }
  return params;
}

function queryRow(r: QueryRow): HTMLElement {
  const rcode = r.nodata ? 'NODATA' : r.rcode;
  const by = r.answeredBy === 'upstream' && r.upstream ? `upstream ${r.upstream}` : r.answeredBy;
  return el(
    'tr',
    { title: 'explain this name', onclick: () => void explain(r.name, r.type, undefined), dataset: { seq: String(r.seq), name: r.name } },
    el('td', { class: 'mono' }, clock(r.time)),
    el('td', { class: 'mono' }, r.client),
    el('td', {}, r.transport),
    el('td', { class: 'mono' }, r.name),
    el('td', {}, r.type),
    el('td', { class: `rcode-${rcode}` }, rcode),
    el('td', { class: 'mono' }, r.answer.map((a) => a.split(' ').slice(3).join(' ')).join('\n') || '—'),
    el('td', {}, r.latencyMs === null ? '·' : r.latencyMs.toFixed(2)),
    el('td', {}, by),
  );
}

function addRows(rows: readonly QueryRow[]): void {
  if (paused) {
    held.push(...rows);
    $('stream-state').textContent = `paused: ${held.length} new`;
    return;
  }
  const body = $('queries').querySelector('tbody')!;
  // Rows arrive oldest first; the table shows the newest on top.
  for (const r of rows) body.prepend(queryRow(r));
  while (body.children.length > MAX_ROWS) body.lastElementChild!.remove();
}

async function restartQueries(): Promise<void> {
  stream?.abort();
  const params = filterParams();
  syncUrl();
  const controller = new AbortController();
  stream = controller;
  try {
    const initial = await getJson<{ queries: QueryRow[] }>(`/v1/ui/queries?${params}&limit=${MAX_ROWS}`);
    if (controller.signal.aborted) return;
    $('queries').querySelector('tbody')!.replaceChildren();
    held = [];
    addRows([...initial.queries].reverse());
    await readStream(`/v1/ui/queries/stream?${params}`, controller);
  } catch (error) {
    if (controller.signal.aborted) return;
    const message = (error as Error).message;
    // Off on purpose (--query-log-size 0, --workers): say so once instead of retrying.
    if (message.startsWith('the query log is off')) {
      $('stream-state').textContent = message;
      return;
    }
    $('stream-state').textContent = `stream stopped: ${message}; retrying`;
    setTimeout(() => stream === controller && void restartQueries(), 2000);
  }
}

/** Reads `event: queries` messages off a text/event-stream response (WHATWG HTML §9.2.6 framing). */
async function readStream(path: string, controller: AbortController): Promise<void> {
  const res = await api(path, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  $('stream-state').textContent = paused ? `paused: ${held.length} new` : 'live';
  document.body.dataset.stream = 'live';
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the server ended the stream');
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = message
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) addRows(JSON.parse(data) as QueryRow[]);
    }
  }
}

function togglePause(): void {
  paused = !paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  if (!paused) {
    const rows = held;
    held = [];
    addRows(rows);
    $('stream-state').textContent = 'live';
  } else $('stream-state').textContent = 'paused: 0 new';
}

// ---- failed names, sources, registry: polled (cheap JSON; the server computes them on request) ----
async function refreshFailed(): Promise<void> {
  const { failed } = await getJson<{ failed: FailedName[] }>('/v1/ui/failures?minutes=5');
  $('failed')
    .querySelector('tbody')!
    .replaceChildren(
      ...failed.slice(0, 50).map((f) =>
        el(
          'tr',
          { title: 'explain this name', onclick: () => void explain(f.name, f.type, undefined), dataset: { name: f.name } },
          el('td', { class: 'mono' }, f.name),
          el('td', {}, f.type),
          el('td', { class: `rcode-${f.rcode}` }, f.rcode),
          el('td', {}, String(f.count)),
          el('td', {}, clock(f.last)),
        ),
      ),
    );
}

function card(title: string, bad: boolean, ...body: Child[]): HTMLElement {
  return el('div', { class: `card ${bad ? 'bad' : 'good'}` }, el('h3', {}, el('span', { class: `badge ${bad ? 'bad' : 'ok'}` }, bad ? 'problem' : 'ok'), ' ', title), ...body);
}

let leaseTimer: number | undefined;
let shownSerial: number | undefined | null = null;
let zone = 'cluster.local';
async function refreshSources(): Promise<void> {
  const s = await getJson<Sources>('/v1/ui/sources');
  const ready = $('ready');
  ready.textContent = s.ready ? 'ready' : 'not ready';
  ready.className = `badge ${s.ready ? 'ok' : 'bad'}`;
  $('zone').textContent = `zone ${s.zone}${s.counts ? ` · ${Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}`;
  const f = s.files;
  const fileErrors = f.problems.filter((p) => p.severity === 'error');
  const cards: HTMLElement[] = [
    card(
      `files: ${f.paths.join(', ') || '(no --zones)'}`,
      fileErrors.length > 0,
      el('div', { class: 'muted' }, `${f.files} file(s); last reload ${ago(f.lastReloadAt)}${f.lastReloadMs !== undefined ? ` (${f.lastReloadMs} ms)` : ''}`),
      ...f.problems.map((p) => el('div', { class: p.severity === 'error' ? 'problem' : 'muted' }, p.text)),
      f.keptLastGood.length ? el('div', {}, `last good content keeps serving: ${f.keptLastGood.join(', ')}`) : undefined,
    ),
  ];
  if (s.kubernetes) {
    const k = s.kubernetes;
    cards.push(
      card(
        `Kubernetes API ${k.server}`,
        !k.synced || k.failing.length > 0,
        el('div', {}, `${k.synced ? 'synced' : 'not synced yet'}; last event ${ago(k.lastEventAt)}; last relist ${ago(k.lastRelistAt)}; watch restarts ${k.watchRestarts}`),
        ...k.failing.map((x) => el('div', { class: 'problem' }, `${x.resource}: ${x.error}`)),
      ),
    );
  }
  cards.push(
    card(
      `registrations (${s.registrations.length})`,
      false,
      ...s.registrations.map((r) =>
        el('div', { class: 'mono' }, `${r.kind} ${r.namespace}/${r.name} `, r.leaseSecondsLeft === null ? el('span', { class: 'muted' }, 'no lease') : el('span', { class: 'lease', dataset: { left: String(r.leaseSecondsLeft) } }, `lease ${r.leaseSecondsLeft} s left`)),
      ),
    ),
  );
  if (s.workers !== undefined) {
    cards.push(card(`${s.workers} worker processes answer the queries (--workers)`, false, el('div', { class: 'muted' }, 'the live queries, failed names and upstream health are kept in the process that answers, so they are not shown here')));
  } else cards.push(
    card(
      s.upstreams.length ? 'upstreams' : 'upstreams: none (forwarding off)',
      s.upstreams.some((u) => u.state === 'timeout' || u.state === 'error'),
      ...s.upstreams.map((u) => el('div', { class: u.state === 'ok' || u.state === 'unused' ? '' : 'problem' }, `${u.server}: ${u.state}; ${u.ok} ok, ${u.timeouts} timeouts, ${u.errors} errors; last reply ${ago(u.lastOkAt)}${u.lastRttMs !== undefined ? ` in ${u.lastRttMs} ms` : ''}`)),
    ),
  );
  $('sources').replaceChildren(...cards);
  // The registry list can be large: read it again only when the snapshot changed.
  if (s.serial !== shownSerial) {
    shownSerial = s.serial;
    zone = s.zone;
    void refreshRegistry().catch((error: unknown) => console.warn(error));
  }
  // Leases count down between polls.
  if (leaseTimer === undefined) {
    leaseTimer = window.setInterval(() => {
      for (const node of document.querySelectorAll<HTMLElement>('.lease')) {
        const left = Math.max(0, Number(node.dataset.left) - 1);
        node.dataset.left = String(left);
        node.textContent = `lease ${left} s left`;
      }
    }, 1000);
  }
}

async function refreshRegistry(): Promise<void> {
  const { records } = await getJson<{ records: RecordRow[] }>('/v1/records');
  // namespaces → services → records, from the owner names (`…<svc>.<ns>.svc.<zone>.`).
  const tree = new Map<string, Map<string, RecordRow[]>>();
  const other: RecordRow[] = [];
  const tail = `.svc.${zone}.`;
  for (const r of records) {
    if (!r.name.endsWith(tail)) {
      other.push(r);
      continue;
    }
    const labels = r.name.slice(0, -tail.length).split('.');
    const ns = labels.at(-1)!;
    const svc = labels.at(-2);
    if (svc === undefined) continue;
    const services = tree.get(ns) ?? new Map<string, RecordRow[]>();
    tree.set(ns, services);
    const service = svc.startsWith('_') ? labels.at(-4) ?? svc : svc;
    services.set(service, [...(services.get(service) ?? []), r]);
  }
  const line = (r: RecordRow) => el('div', { class: 'mono' }, el('button', { class: 'linkish', onclick: () => void explain(r.name, r.type === 'SRV' || r.type === 'AAAA' ? r.type : 'A', undefined) }, r.name), ` ${r.ttl} IN ${r.type} ${r.data}${r.note ? ` (${r.note})` : ''}`);
  const open = $('registry').querySelectorAll('details[open]');
  const wasOpen = new Set([...open].map((d) => (d as HTMLElement).dataset.key));
  const details = (key: string, summary: string, ...children: Child[]) => {
    const d = el('details', { dataset: { key } }, el('summary', {}, summary), ...children) as HTMLDetailsElement;
    d.open = wasOpen.has(key);
    return d;
  };
  $('registry').replaceChildren(
    ...[...tree.keys()].sort().map((ns) => {
      const services = tree.get(ns)!;
      return details(ns, `${ns} (${services.size} service${services.size === 1 ? '' : 's'})`, ...[...services.keys()].sort().map((svc) => details(`${ns}/${svc}`, svc, ...services.get(svc)!.map(line))));
    }),
    details('(zone)', `the zone itself and reverse names (${other.length})`, ...other.map(line)),
  );
}

function every(ms: number, task: () => Promise<void>): void {
  const run = () =>
    task()
      .catch((error: unknown) => console.warn(error))
      .finally(() => window.setTimeout(run, ms));
  run();
}

// ---- start ----
function start(): void {
  const params = new URLSearchParams(location.search);
  for (const [key, id] of FILTERS) $<HTMLInputElement>(id).value = params.get(key) ?? '';
  $<HTMLFormElement>('explain-form').addEventListener('submit', explainFromForm);
  $<HTMLFormElement>('filters').addEventListener('submit', (e) => e.preventDefault());
  let typing: number | undefined;
  for (const [, id] of FILTERS) {
    $(id).addEventListener('change', () => void restartQueries());
    $(id).addEventListener('input', () => {
      window.clearTimeout(typing);
      typing = window.setTimeout(() => void restartQueries(), 400);
    });
  }
  $('pause').addEventListener('click', togglePause);
  void restartQueries();
  every(2000, refreshSources);
  every(3000, refreshFailed);
  const asked = params.get('explain');
  if (asked) void explain(asked, params.get('type') ?? 'A', params.get('namespace') ?? undefined);
}

start();
