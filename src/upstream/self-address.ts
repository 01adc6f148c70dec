/** Is an upstream this server itself? Then forwarding to it would be a loop. */
import { networkInterfaces } from 'node:os';
import type { UpstreamServer } from './upstream-client.js';

export function upstreamIsSelf(upstream: UpstreamServer, host: string, port: number): boolean {
  if (upstream.port !== port) return false;
  if (upstream.address === host) return true;
  if (host !== '0.0.0.0' && host !== '::') return false;
  // A wildcard bind answers on every local address.
  if (upstream.address === '0.0.0.0' || upstream.address === '::' || upstream.address.startsWith('127.') || upstream.address === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === upstream.address));
}
