/**
 * Short-form stage: answers `web`, `web.shop`, `web.shop.svc` (and endpoint, SRV and pod forms) the
 * way a pod's search path would, as CoreDNS's autopath does: a CNAME from the asked name to the
 * cluster name, then that name's records. Only registry hits are answered; misses pass on.
 */
import { Rcode, RecordType } from '../dns/types.js';
import type { CNAMERecord, DomainName, RecordsAnswer } from '../dns/types.js';
import type { Registry } from '../registry/registry.js';
import type { RegistryRef } from '../registry/registry-ref.js';
import { answerClusterName, isInZone, podNameExists, type ClusterZoneOptions } from './cluster-answers.js';
import type { CnameChaser } from './cname-chase.js';
import type { Stage } from './stage.js';
import { answerScope, createAnswerMemo } from './answer-memo.js';
import { isPublicTopLevelDomain } from '../dns/top-level-domains.js';

export interface ShortFormOptions extends ClusterZoneOptions {
  readonly defaultNamespace: string;
  /** Completes chains that leave the zone (a short form of an ExternalName), as the cluster stage does. */
  readonly chaser?: CnameChaser;
  /**
   * Let registered services answer short forms that end in a public top-level domain (`github.com`
   * for service `github` in namespace `com`). Default false: such a name goes upstream instead.
   */
  readonly publicShortForms?: boolean;
}

/**
 * The cluster name a short form stands for, trying the search path a pod in the default namespace
 * has: `<ns>.svc.<zone>`, `svc.<zone>`, `<zone>`. Only names of services, endpoints, SRV ports and
 * pods count, so a bare namespace name or `svc` never captures a query.
 */
export function expandShortForm(registry: Registry, options: ShortFormOptions, lowerName: DomainName): DomainName | undefined {
  const zone = registry.zone;
  if (lowerName === '' || isInZone(lowerName, zone) || lowerName.endsWith('.arpa')) return undefined;
  const candidates = [`${lowerName}.${options.defaultNamespace}.svc.${zone}`, `${lowerName}.svc.${zone}`, `${lowerName}.${zone}`];
  const guarded = !options.publicShortForms && mayBePublic(lowerName) && (registry.registeredServices?.size ?? 0) > 0;
  for (const candidate of candidates) {
    if (guarded && isRegisteredServiceName(registry, candidate)) continue;
    const node = registry.names.get(candidate);
    if (node && node.role !== 'structure') return candidate;
    if (podNameExists(registry, options, candidate)) return candidate;
  }
  return undefined;
}

/**
 * A name of two labels or more whose last label is a public TLD (`github.com`, `web.shop`): a pod's
 * search path would expand it too (CoreDNS answers `<svc>.<ns>` only that way), but a registration
 * — an API call, possibly from a web page (issue 17) — must not be able to capture a public name.
 * Services from files and the live cluster are the user's own and keep their short forms.
 */
function mayBePublic(lowerName: DomainName): boolean {
  const dot = lowerName.lastIndexOf('.');
  return dot > 0 && isPublicTopLevelDomain(lowerName.slice(dot + 1));
}

/** True when `candidate` (`….<svc>.<ns>.svc.<zone>`) is owned by a service that came from a registration. */
function isRegisteredServiceName(registry: Registry, candidate: DomainName): boolean {
  const suffix = `.svc.${registry.zone}`;
  if (!candidate.endsWith(suffix)) return false;
  const labels = candidate.slice(0, -suffix.length).split('.');
  if (labels.length < 2) return false;
  return registry.registeredServices!.has(`${labels[labels.length - 1]}/${labels[labels.length - 2]}`);
}

/** CNAME from the asked name to its cluster name, followed by the cluster name's answer. */
export function answerShortForm(registry: Registry, options: ShortFormOptions, lowerName: DomainName, target: DomainName, qtype: number): RecordsAnswer {
  const cname: CNAMERecord = { type: 'CNAME', name: lowerName, ttl: registry.ttl, target };
  // We synthesise these names rather than own them, so the answer is not authoritative.
  if (qtype === RecordType.CNAME) {
    return { kind: 'records', rcode: 0, authoritative: false, answer: [cname], authority: [], additional: [] };
  }
  const rest = answerClusterName(registry, options, target, qtype);
  if (rest.rcode === Rcode.SERVFAIL) return rest; // a loop or an overlong chain at the target
  return { ...rest, authoritative: false, answer: [cname, ...rest.answer] };
}

export function createShortFormStage(registryRef: RegistryRef, options: ShortFormOptions): Stage {
  const memo = createAnswerMemo();
  return (query, next) => {
    const registry = registryRef.current();
    if (!registry) return next(query);
    const target = expandShortForm(registry, options, query.lowerName);
    if (target === undefined) return next(query);
    let answer = memo.find(registry, query.lowerName, query.type);
    // The expansion can move to another candidate when a name appears: the memo holds it for one target.
    const first = answer?.answer[0];
    if (answer === undefined || first?.type !== 'CNAME' || first.target !== target) {
      answer = answerShortForm(registry, options, query.lowerName, target, query.type);
      memo.keep(registry, query.lowerName, query.type, answer, answerScope(registry.zone, target, answer, 1));
    }
    return options.chaser === undefined ? answer : options.chaser.complete(registry, query, answer);
  };
}
