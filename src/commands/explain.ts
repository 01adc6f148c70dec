/**
 * `cluster-dns explain NAME [TYPE]`: the answer the server would give for a name, and why, from
 * --zones and, with --kubeconfig, the cluster. Exit 0: the name resolves (records, or forwarded,
 * where the upstream decides); 1: it does not (NXDOMAIN, NODATA, REFUSED) or the registry could
 * not be read; 2: bad usage. A script can test a name as it would with `host`.
 */
import type { Writable } from 'node:stream';
import { didYouMean } from '../did-you-mean.js';
import { ConfigError } from '../errors.js';
import { formatDiagnostic } from '../registry/diagnostics.js';
import { explainOptionsFor, type ResolvedOptions } from '../options.js';
import { EXPLAIN_TYPES, explainName, explainType, formatExplanation, type Explanation } from '../resolver/explain.js';
import { readCommandRegistry } from './command-registry.js';

/** Checks a TYPE argument: a mnemonic we explain (`A`, `srv`), or a ConfigError with the nearest. */
export function parseExplainType(text: string | undefined): string {
  const type = explainType(text);
  if (type === undefined) {
    throw new ConfigError(`explain: unknown record type "${text}"${didYouMean((text ?? '').toUpperCase(), Object.keys(EXPLAIN_TYPES)) || ` (expected ${Object.keys(EXPLAIN_TYPES).join(', ')})`}`);
  }
  return type;
}

export async function runExplain(options: ResolvedOptions, args: readonly string[], output: 'text' | 'json', out: Writable, err: Writable): Promise<number> {
  let type: string;
  try {
    type = parseExplainType(args[1]);
  } catch (error) {
    err.write(`cluster-dns: ${(error as Error).message}\n`);
    return 2;
  }
  const built = await readCommandRegistry(options, err);
  if (!built) return 1;
  for (const d of built.sourceDiagnostics) err.write(`${formatDiagnostic(d)}\n`);
  const registry = built.registry;
  const explanation = explainName(
    registry,
    explainOptionsFor(options),
    args[0]!,
    type,
  );
  out.write(output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
  return resolves(explanation) ? EXIT_RESOLVES : EXIT_DOES_NOT_RESOLVE;
}

export const EXIT_RESOLVES = 0;
export const EXIT_DOES_NOT_RESOLVE = 1;

/** Records in the answer, or forwarded (explain cannot know the upstream's answer). */
function resolves(e: Explanation): boolean {
  return e.rcode === 'FORWARDED' || (e.rcode === 'NOERROR' && e.answer.length > 0);
}
