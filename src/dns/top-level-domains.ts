/**
 * Whether a label is a delegated top-level domain of the public DNS root (IANA's list, from the
 * `tlds` package): a short form ending in one (`github.com`) may be a public name. Pure.
 */
import topLevelDomains from 'tlds' with { type: 'json' };

const TOP_LEVEL = new Set<string>(topLevelDomains);

/** True for `com`, `shop`, `dev`…; false for `svc`, `pod`, `local`, `internal`, `default`. `label` is lowercase. */
export function isPublicTopLevelDomain(label: string): boolean {
  return TOP_LEVEL.has(label);
}
