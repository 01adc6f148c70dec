/**
 * Explain as a pod would ask: the names its resolver tries along the pod search path, in order, and
 * the final answer as dig prints it, with the object behind each record. Pure helpers for
 * GET /v1/explain?namespace=N and the /ui page; the live rcode of forwarded names comes from the caller.
 */
import type { ExplainedObject, Explanation } from './explain.js';

/** A pod's resolv.conf in the cluster (kubelet, ClusterFirst): `search <ns>.svc.<zone> svc.<zone> <zone>`, `options ndots:5`. */
export const POD_NDOTS = 5;

/**
 * The names a pod in `namespace` asks for `name`, in order (glibc res_search): a name with a
 * trailing dot is asked as is; one with at least ndots dots is asked as is first, then with each
 * search suffix; a shorter one with each suffix first, then as is.
 * `podSearchCandidates('web.shop', 'default', 'cluster.local')` →
 * `['web.shop.default.svc.cluster.local', 'web.shop.svc.cluster.local', 'web.shop.cluster.local', 'web.shop']`.
 */
export function podSearchCandidates(name: string, namespace: string, zone: string, ndots = POD_NDOTS): string[] {
  const trimmed = name.trim().toLowerCase();
  if (trimmed.endsWith('.')) return [trimmed.replace(/\.+$/, '')];
  const suffixes = [`${namespace.toLowerCase()}.svc.${zone}`, `svc.${zone}`, zone];
  const searched = suffixes.map((s) => `${trimmed}.${s}`);
  const dots = trimmed.split('.').length - 1;
  return dots >= ndots ? [trimmed, ...searched] : [...searched, trimmed];
}

/** One name tried: its rcode as the client saw it (`NODATA` for NOERROR without records). */
export interface SearchStep {
  readonly name: string;
  readonly rcode: string;
  readonly rule: Explanation['rule'];
  readonly reason: string;
}

/**
 * Which tried name a pod's resolver settles on: the first with records in the answer section; when
 * none has, the last one (glibc keeps searching after NXDOMAIN and NODATA and reports the last).
 */
export function settledStep(steps: readonly { readonly rcode: string; readonly answerCount: number }[]): number {
  const found = steps.findIndex((s) => s.rcode === 'NOERROR' && s.answerCount > 0);
  return found >= 0 ? found : steps.length - 1;
}

/** The reply as `dig` prints it (header status, question, answer and authority sections). */
export function digText(name: string, type: string, rcode: string, answer: readonly string[], authority: readonly string[]): string {
  const owner = name.endsWith('.') ? name : `${name}.`;
  const status = rcode === 'NODATA' ? 'NOERROR' : rcode;
  const lines = [`;; ->>HEADER<<- opcode: QUERY, status: ${status}`, `;; flags: qr rd; QUERY: 1, ANSWER: ${answer.length}, AUTHORITY: ${authority.length}`, '', ';; QUESTION SECTION:', `;${owner}\t\tIN\t${type}`];
  if (answer.length) lines.push('', ';; ANSWER SECTION:', ...answer.map(tabbed));
  if (authority.length) lines.push('', ';; AUTHORITY SECTION:', ...authority.map(tabbed));
  return `${lines.join('\n')}\n`;
}

/** `web.shop.svc.cluster.local. 5 IN A 10.96.0.10` → dig's tab-separated columns. */
function tabbed(line: string): string {
  const [owner, ttl, klass, type, ...data] = line.split(' ');
  return [owner, ttl, klass, type, data.join(' ')].join('\t');
}

/**
 * The object each answer record came from: the endpoint group or pod whose addresses hold the
 * record's data, else the Service (ClusterIPs, SRV, ExternalName CNAMEs). Records of the zone
 * itself (SOA, NS, the schema TXT) have none.
 */
export function recordSources(explanation: Pick<Explanation, 'answer' | 'objects'>): { readonly record: string; readonly object: ExplainedObject | undefined }[] {
  return explanation.answer.map((record) => {
    const data = record.split(' ').slice(4).join(' ');
    const type = record.split(' ')[3];
    const holder = type === 'A' || type === 'AAAA' ? explanation.objects.find((o) => o.kind !== 'Service' && o.detail.split(/[ ,=/]+/).includes(data)) : undefined;
    const service = explanation.objects.find((o) => o.kind === 'Service');
    const pod = explanation.objects.find((o) => o.kind === 'Pod');
    return { record, object: holder ?? service ?? pod };
  });
}
