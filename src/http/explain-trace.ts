/**
 * GET /v1/explain's full answer for the /ui page: every name tried (the pod search path with
 * `namespace`), each with its rcode, rule and hints; the settled name's explanation; its reply as dig
 * prints it; and the object behind each record (file:line, resourceVersion, a registration's lease
 * left). Names we forward are asked of the live resolver, so their rcode is the upstream's.
 */
import { RecordClass, RecordType, type Answer, type Query } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';
import { EXPLAIN_TYPES, explainName, type ExplainHint, type ExplainOptions, type Explanation } from '../resolver/explain.js';
import { digText, podSearchCandidates, recordSources, settledStep } from '../resolver/explain-search.js';
import { answerText } from './query-log.js';
import { rcodeLabel } from './metrics.js';

export interface TraceDeps {
  readonly registry: Registry;
  readonly options: ExplainOptions;
  /** The server's own resolver (the same stages a query goes through); undefined where this process forwards nothing (a --workers primary). */
  readonly resolve: ((query: Query) => Answer | Promise<Answer>) | undefined;
  /** Epoch ms the lease of the registration behind an object runs out; undefined without a lease. */
  readonly leaseOf: (object: { readonly kind: string; readonly namespace: string; readonly name: string }) => number | undefined;
  readonly now: () => number;
}

export interface TracedCandidate {
  readonly name: string;
  readonly rcode: string;
  readonly rule: Explanation['rule'];
  readonly reason: string;
  readonly hints: readonly ExplainHint[];
}

export interface RecordSource {
  readonly record: string;
  readonly source:
    | { readonly kind: string; readonly namespace: string; readonly name: string; readonly origin: string; readonly resourceVersion?: string; readonly leaseSecondsLeft?: number }
    | null;
}

export type Trace = Explanation & {
  /** The pod search path, when asked `as a pod in namespace N`. */
  readonly search?: { readonly namespace: string; readonly ndots: number };
  readonly candidates: readonly TracedCandidate[];
  /** Index into candidates of the name the client settles on. */
  readonly settled: number;
  /** The settled reply as the client sees it: NOERROR, NODATA, NXDOMAIN, SERVFAIL, REFUSED. */
  readonly status: string;
  readonly dig: string;
  readonly records: readonly RecordSource[];
};

/** Explains `name` as typed, or (with `namespace`) as a pod in that namespace would resolve it. */
export async function traceExplain(deps: TraceDeps, name: string, type: string, namespace: string | undefined): Promise<Trace> {
  const zone = deps.registry.zone;
  const names = namespace ? podSearchCandidates(name, namespace, zone) : [name.trim().toLowerCase().replace(/\.+$/, '')];
  const steps: { explanation: Explanation; rcode: string; answer: readonly string[]; authority: readonly string[] }[] = [];
  for (const candidate of names) {
    const explanation = explainName(deps.registry, deps.options, candidate, type);
    if (explanation.rcode === 'FORWARDED' && deps.resolve) {
      // Not ours: what the upstream says, through the same cache and forward stages as a query.
      const answer = await deps.resolve(syntheticQuery(candidate, EXPLAIN_TYPES[type] ?? RecordType.A));
      const rcode = answer.kind === 'records' ? answer.rcode : answer.bytes.length > 3 ? answer.bytes[3]! & 0x0f : 2;
      const lines = answerText(answer);
      steps.push({ explanation, rcode: statusOf(rcodeLabel(rcode), lines.length), answer: lines, authority: [] });
    } else {
      steps.push({ explanation, rcode: statusOf(explanation.rcode, explanation.answer.length), answer: explanation.answer, authority: explanation.authority });
    }
  }
  const settled = settledStep(steps.map((s) => ({ rcode: s.rcode, answerCount: s.answer.length })));
  const final = steps[settled]!;
  const now = deps.now();
  return {
    ...final.explanation,
    answer: final.answer,
    ...(namespace ? { search: { namespace, ndots: 5 } } : {}),
    candidates: steps.map((s) => ({ name: s.explanation.name, rcode: s.rcode, rule: s.explanation.rule, reason: s.explanation.reason, hints: s.explanation.hints })),
    settled,
    status: final.rcode,
    dig: digText(final.explanation.name, type, final.rcode, final.answer, final.authority),
    records: recordSources({ answer: final.answer, objects: final.explanation.objects }).map(({ record, object }) => {
      if (!object) return { record, source: null };
      const expiresAt = object.origin.startsWith('registration ') ? deps.leaseOf(object) : undefined;
      return {
        record,
        source: {
          kind: object.kind,
          namespace: object.namespace,
          name: object.name,
          origin: object.origin,
          ...(object.resourceVersion ? { resourceVersion: object.resourceVersion } : {}),
          ...(expiresAt !== undefined ? { leaseSecondsLeft: Math.max(0, Math.round((expiresAt - now) / 1000)) } : {}),
        },
      };
    }),
  };
}

/** NOERROR without an answer is NODATA to the person asking (RFC 2308 §2.2). */
function statusOf(rcode: string, answers: number): string {
  return rcode === 'NOERROR' && answers === 0 ? 'NODATA' : rcode;
}

/** A query as a loopback client would send it, for the resolver (never on the wire of ours). */
function syntheticQuery(name: string, type: number): Query {
  return {
    id: 0,
    opcode: 0,
    recursionDesired: true,
    checkingDisabled: false,
    name,
    lowerName: name,
    type,
    class: RecordClass.IN,
    edns: undefined,
    transport: 'udp',
    client: { address: '127.0.0.1', port: 0 },
  };
}
