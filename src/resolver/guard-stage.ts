/** Guard stage: refuses or rejects queries no later stage should see (class, zone transfers, meta types). */
import { notimp, refused, ExtendedError } from '../dns/outcomes.js';
import { RecordClass, RecordType } from '../dns/types.js';
import type { Stage } from './stage.js';

const TKEY = 249;
const TSIG = 250;

export function createGuardStage(): Stage {
  return (query, next) => {
    // Only the Internet class is served; CHAOS/HESIOD/ANY get REFUSED (RFC 1035 §3.2.4).
    if (query.class !== RecordClass.IN) return refused({ code: ExtendedError.NOT_SUPPORTED, text: 'only class IN is served' });
    // No zone transfers from a synthesised zone (RFC 5936 §2.2.1 lets a server refuse AXFR).
    if (query.type === RecordType.AXFR || query.type === RecordType.IXFR) {
      return refused({ code: ExtendedError.PROHIBITED, text: 'zone transfers are not offered' });
    }
    // Obsolete mailbox meta-queries and key negotiation are not implemented (RFC 1035 §3.2.3, RFC 2930).
    if (query.type === RecordType.MAILA || query.type === RecordType.MAILB || query.type === TKEY || query.type === TSIG) {
      return notimp();
    }
    return next(query);
  };
}
