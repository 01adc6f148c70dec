/** The last word when nothing answered and forwarding is off: REFUSED, so we are no open resolver. */
import { ExtendedError, refused } from '../dns/outcomes.js';
import type { Next } from './stage.js';

const notOurs = refused({ code: ExtendedError.NOT_AUTHORITATIVE, text: 'not a cluster name and forwarding is off' });

export const refuseOutOfZone: Next = () => notOurs;
