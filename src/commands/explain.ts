/** `cluster-dns explain NAME [TYPE]`: the answer the server would give for a name, and why, from --zones. */
import type { Writable } from 'node:stream';
import { didYouMean } from '../did-you-mean.js';
import { ConfigError } from '../errors.js';
import { buildRegistry } from '../registry/build-registry.js';
import { formatDiagnostic, hasErrors } from '../registry/diagnostics.js';
import { explainOptionsFor, type ResolvedOptions } from '../options.js';
import { EXPLAIN_TYPES, explainName, explainType, formatExplanation } from '../resolver/explain.js';
import { readZones } from '../sources/zones-reader.js';

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
  const results = await readZones(options.zones, undefined, { maxBytes: options.maxRegistryBytes });
  for (const r of results) for (const d of r.diagnostics) err.write(`${formatDiagnostic(d)}\n`);
  const good = results.filter((r) => !hasErrors(r.diagnostics));
  const { registry } = buildRegistry(good.map((r) => r.input), { clusterDomain: options.clusterDomain, ttl: options.ttl, serial: Math.floor(Date.now() / 1000) });
  const explanation = explainName(
    registry,
    explainOptionsFor(options),
    args[0]!,
    type,
  );
  out.write(output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
  return 0;
}
