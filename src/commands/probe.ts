/**
 * `cluster-dns probe`: asks a running server for `dns-version.<zone>` TXT over UDP, prints one line
 * with what it saw, and exits 0 when it answers correctly, 1 otherwise. The Docker HEALTHCHECK uses
 * it; it works outside Docker too.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Writable } from 'node:stream';
import { nameServerAddresses, type ResolvedOptions } from '../options.js';

export async function runProbe(options: ResolvedOptions, out: Writable, err: Writable, timeoutMs = 2000): Promise<number> {
  const started = performance.now();
  const host = nameServerAddresses(options.host)[0]!;
  const name = `dns-version.${options.clusterDomain}`;
  const id = randomInt(0x10000);
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'ascii')]);
  const query = Buffer.from([id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 16, 0, 1]);
  const reply = await new Promise<Buffer | undefined>((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(undefined), timeoutMs);
    function done(value: Buffer | undefined) {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    }
    socket.on('error', () => done(undefined));
    socket.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) done(msg);
    });
    socket.send(query, options.port, host);
  });
  if (!reply) {
    err.write(`cluster-dns probe: no answer from ${host}:${options.port} within ${timeoutMs} ms\n`);
    return 1;
  }
  const rcode = reply[3]! & 0x0f;
  const answers = reply.readUInt16BE(6);
  if (rcode !== 0 || answers < 1) {
    err.write(`cluster-dns probe: ${host}:${options.port} answered ${name} TXT with ${RCODES[rcode] ?? `rcode ${rcode}`} and ${answers} answer(s)\n`);
    return 1;
  }
  const ms = Math.round(performance.now() - started);
  const text = firstTxt(reply, query.length);
  out.write(`cluster-dns probe: ${host}:${options.port} answered ${name} TXT ${text === undefined ? '(unreadable)' : JSON.stringify(text)} (schema version) in ${ms} ms\n`);
  return 0;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The first string of the first answer record, which follows the echoed question (RFC 1035 §4.1). */
function firstTxt(reply: Buffer, questionEnd: number): string | undefined {
  let i = questionEnd;
  // The owner name: a compression pointer (two octets) or labels ending in a zero octet.
  while (i < reply.length && reply[i] !== 0 && (reply[i]! & 0xc0) !== 0xc0) i += reply[i]! + 1;
  i += i < reply.length && (reply[i]! & 0xc0) === 0xc0 ? 2 : 1;
  const rdata = i + 10;
  if (rdata + 1 > reply.length || reply.readUInt16BE(i) !== 16) return undefined;
  const length = reply[rdata]!;
  return reply.subarray(rdata + 1, rdata + 1 + length).toString('utf8');
}
