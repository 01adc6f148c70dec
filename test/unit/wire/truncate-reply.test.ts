/** truncateReply: header and question only, TC set, every other section gone. */
import { describe, expect, it } from 'vitest';
import { truncateReply } from '../../../src/wire/truncate-reply.js';
import { buildQuery, decodeReply } from '../../helpers/dns-client.js';
import { reply, rr } from '../../helpers/fake-upstream.js';

describe('truncateReply', () => {
  it('keeps id, flags, rcode and question and drops the records, setting TC', () => {
    const full = reply(buildQuery('Web.Example.org', 'A', { id: 0x4242 }), { answer: [rr('web.example.org', 1, 300, [192, 0, 2, 1])], rcode: 3 });
    const cut = decodeReply(Buffer.from(truncateReply(full)));
    expect(cut).toMatchObject({ id: 0x4242, rcode: 'NXDOMAIN', question: ['Web.Example.org. IN A'], answer: [], authority: [], additional: [], edns: undefined });
    expect(cut.bits).toMatchObject({ qr: true, tc: true, rd: true });
    expect(truncateReply(full).length).toBe(12 + 17 + 4);
  });

  it('leaves a reply without a question as its header', () => {
    const header = Buffer.from([0, 7, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(truncateReply(header))).toEqual([0, 7, 0x83, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
