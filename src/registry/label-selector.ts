/** Label selector matching (k8s.io/apimachinery pkg/labels): a Service's plain map, a workload's matchLabels/matchExpressions. Pure. */
import type { LabelSelector } from './model.js';

/** Every key of `selector` is a label with the same value (a Service's `spec.selector`). */
export function matchesLabels(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** `matchLabels` and every `matchExpressions` requirement hold. An empty selector matches nothing, as in apps/v1. */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0) return false;
  if (!matchesLabels(selector.matchLabels, labels)) return false;
  return selector.matchExpressions.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.operator) {
      case 'In':
        return has && r.values.includes(labels[r.key]!);
      case 'NotIn':
        return !has || !r.values.includes(labels[r.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}
