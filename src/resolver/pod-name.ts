/** Parses the address label of a pod name: `10-244-1-5` → 10.244.1.5, `fd00--5` → fd00::5. Pure. */
import { canonicalIp, ipFamily } from '../dns/ip.js';

export function parseDashedIp(label: string): string | undefined {
  if (/^\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}$/.test(label)) {
    const dotted = label.replace(/-/g, '.');
    return ipFamily(dotted) === 4 ? canonicalIp(dotted) : undefined;
  }
  if (!/^[0-9a-f-]+$/.test(label) || !label.includes('-')) return undefined;
  const colons = label.replace(/-/g, ':');
  return ipFamily(colons) === 6 ? canonicalIp(colons) : undefined;
}
