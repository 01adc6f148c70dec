/**
 * A reply cut down to its header and question with TC set (RFC 1035 §4.1.1, RFC 7766 §5): what a
 * rate-limited UDP client is sent now and then ("slip", as Knot and BIND do) so that a real client
 * retries over TCP while a spoofed victim gets no more bytes than it sent.
 */
const HEADER = 12;

/** Header and question of `reply` with TC=1 and no answer, authority or additional records (no OPT either). */
export function truncateReply(reply: Uint8Array): Uint8Array {
  if (reply.length < HEADER) return reply;
  let end = HEADER;
  const questions = (reply[4]! << 8) | reply[5]!;
  if (questions === 1) end = questionEnd(reply);
  const out = Uint8Array.from(reply.subarray(0, end));
  out[2] = out[2]! | 0x02;
  if (end === HEADER) out[4] = out[5] = 0;
  out.fill(0, 6, 12);
  return out;
}

/** Offset just past the one question (name, type, class), or the header's end when it does not parse. */
function questionEnd(reply: Uint8Array): number {
  let pos = HEADER;
  while (pos < reply.length) {
    const len = reply[pos]!;
    if (len === 0) return pos + 5 <= reply.length ? pos + 5 : HEADER;
    if ((len & 0xc0) === 0xc0) return pos + 6 <= reply.length ? pos + 6 : HEADER; // a compressed name ends at its pointer
    if (len > 63) return HEADER;
    pos += len + 1;
  }
  return HEADER;
}
