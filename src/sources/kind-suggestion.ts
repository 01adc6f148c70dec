/** "Did you mean Service?": the kind we know that an unknown `kind` is most likely a typo of. Pure. */
import { editDistance } from '../did-you-mean.js';

/** The kinds the manifest converter uses. Kubernetes kinds are case-sensitive (`service` is rejected by the API). */
const OUR_KINDS: readonly string[] = ['Service', 'Pod', 'Namespace', 'EndpointSlice', 'Endpoints', 'StatefulSet', 'Deployment', 'ReplicaSet', 'Ingress', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'List'];

/**
 * Real kinds that are skipped on purpose and must never be "corrected" (Node is two edits from Pod,
 * Secret close to Service): the built-in API kinds a `kubectl get all`/`-o yaml` dump carries.
 */
const OTHER_REAL_KINDS: ReadonlySet<string> = new Set([
  'Node', 'Secret', 'ConfigMap', 'ServiceAccount', 'IngressClass', 'NetworkPolicy', 'Role', 'RoleBinding',
  'ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'Job', 'CronJob', 'PersistentVolume', 'PersistentVolumeClaim',
  'StorageClass', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'LimitRange', 'ResourceQuota', 'Event', 'Lease',
  'ControllerRevision', 'ReplicationController', 'PodTemplate', 'CustomResourceDefinition', 'APIService',
  'PriorityClass', 'RuntimeClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'CertificateSigningRequest', 'Binding', 'ComponentStatus', 'ServiceCIDR',
  'IPAddress', 'GatewayClass', 'TCPRoute', 'UDPRoute', 'ReferenceGrant',
]);

/** The closest kind we know when `kind` is probably a misspelling of it, else undefined. */
export function suggestKind(kind: string): string | undefined {
  if (OUR_KINDS.includes(kind) || OTHER_REAL_KINDS.has(kind)) return undefined;
  const lower = kind.toLowerCase();
  const sameLetters = OUR_KINDS.find((k) => k.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  // One edit for short kinds (Pod), two for longer ones; a transposition counts as one edit. No
  // prefix rule: ServiceMonitor and PodMonitor (CRDs) are real kinds, not typos of Service and Pod.
  const budget = kind.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of OUR_KINDS) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
