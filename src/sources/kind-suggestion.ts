/** "Did you mean Service?": the kind we know that an unknown `kind` is most likely a typo of. Pure. */

/** The kinds the manifest converter uses. Kubernetes kinds are case-sensitive (`service` is rejected by the API). */
const OUR_KINDS: readonly string[] = ['Service', 'Pod', 'Namespace', 'EndpointSlice', 'Endpoints', 'StatefulSet', 'Deployment', 'ReplicaSet', 'List'];

/**
 * Real kinds that are skipped on purpose and must never be "corrected" (Node is two edits from Pod,
 * Secret close to Service): the built-in API kinds a `kubectl get all`/`-o yaml` dump carries.
 */
const OTHER_REAL_KINDS: ReadonlySet<string> = new Set([
  'Node', 'Secret', 'ConfigMap', 'ServiceAccount', 'Ingress', 'IngressClass', 'NetworkPolicy', 'Role', 'RoleBinding',
  'ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'Job', 'CronJob', 'PersistentVolume', 'PersistentVolumeClaim',
  'StorageClass', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'LimitRange', 'ResourceQuota', 'Event', 'Lease',
  'ControllerRevision', 'ReplicationController', 'PodTemplate', 'CustomResourceDefinition', 'APIService',
  'PriorityClass', 'RuntimeClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'CertificateSigningRequest', 'Binding', 'ComponentStatus', 'ServiceCIDR',
  'IPAddress', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'GatewayClass',
]);

/** The closest kind we know when `kind` is probably a misspelling of it, else undefined. */
export function suggestKind(kind: string): string | undefined {
  if (OUR_KINDS.includes(kind) || OTHER_REAL_KINDS.has(kind)) return undefined;
  const lower = kind.toLowerCase();
  const sameLetters = OUR_KINDS.find((k) => k.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  // One edit for short kinds (Pod), two for longer ones; a transposition counts as one edit.
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

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
