/** Words a listener that could not bind: the reason alone, or the BIND_FAILED error start() rejects with. */
import { ClusterDnsError } from '../errors.js';

/** Why a listen failed: "address already in use" for EADDRINUSE, else the error's own message. */
export function bindFailure(error: unknown): string {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (error as Error).message;
}

/** `cannot listen on <target>: <reason>`, with the failure as its cause. */
export function bindFailed(target: string, error: unknown): ClusterDnsError {
  return new ClusterDnsError('BIND_FAILED', `cannot listen on ${target}: ${bindFailure(error)}`, { cause: error });
}
