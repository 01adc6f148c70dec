/**
 * Recursion ACL: only clients the predicate allows may have names forwarded upstream; others get
 * REFUSED for out-of-zone names (cluster names stay answered for everyone), so a server bound to a
 * public address is not an open resolver (RFC 5358).
 */
import { ExtendedError, refused } from '../dns/outcomes.js';
import type { Stage } from './stage.js';

export function createRecursionAclStage(allowed: (clientAddress: string) => boolean): Stage {
  const prohibited = refused({ code: ExtendedError.PROHIBITED, text: 'recursion is not allowed for this client (--allow-recursion)' });
  return (query, next) => (allowed(query.client.address) ? next(query) : prohibited);
}
