// Every console example in README.md, run as written against the built CLI serving zones/ (only the
// ports are ours): dig, the registration curl, explain. A shown output must be what it prints
// (whitespace collapsed; the SOA serial, which changes with the content, masked).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { execFileAsync, hasDig, startCli } from '../helpers/cli.js';

interface Example {
  readonly command: string;
  readonly output: readonly string[];
  /** The ```console block it is in: a `cluster-dns --zones …` line there serves that block's examples. */
  readonly block: number;
}

/** `$ command` lines (with `\` continuations) of every ```console block, each with the lines it shows. */
function consoleExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  let blockIndex = 0;
  // Blocks inside list items are indented; their lines carry the same indent.
  for (const block of markdown.matchAll(/^( *)```console\n([\s\S]*?)^ *```/gm)) {
    const indent = block[1]!.length;
    blockIndex++;
    const lines = block[2]!.split('\n').map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)));
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('$ ')) continue;
      let command = lines[i]!.slice(2);
      while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1)} ${lines[++i]!.trim()}`;
      const output: string[] = [];
      while (i + 1 < lines.length && !lines[i + 1]!.startsWith('$ ')) output.push(lines[++i]!);
      examples.push({ command: command.replace(/\s+#.*$/, '').trim(), output: output.filter((l) => l.trim() !== ''), block: blockIndex });
    }
  }
  return examples;
}

const normalise = (lines: readonly string[]) => lines.map((l) => l.trim().replace(/\s+/g, ' ').replace(/(hostmaster\.cluster\.local\.) \d+/, '$1 SERIAL'));

const readme = readFileSync('README.md', 'utf8');
const examples = consoleExamples(readme);

describe.skipIf(!hasDig)('README examples', () => {
  it('finds the examples it is meant to run', () => {
    expect(examples.filter((e) => e.command.startsWith('dig ')).length).toBeGreaterThanOrEqual(8);
    expect(examples.some((e) => e.command.includes('curl'))).toBe(true);
    expect(examples.some((e) => e.command.startsWith('cluster-dns explain'))).toBe(true);
  });

  it('answers each as written', async () => {
    // A block that starts a server (`$ cluster-dns --zones …`) is answered by that server, on port 0.
    const servers = new Map<number, { port: number; http: number }>();
    const serverFor = async (block: number) => {
      const existing = servers.get(block);
      if (existing) return existing;
      const serve = examples.find((e) => e.block === block && /^cluster-dns --/.test(e.command));
      const args = serve ? serve.command.split(/\s+/).slice(1) : ['--zones', 'zones'];
      const cli = await startCli([...args, ...(args.includes('--upstream') ? [] : ['--upstream', 'none'])]);
      const started = { port: cli.port, http: Number(/"http":\{[^}]*"port":(\d+)/.exec(cli.stderr())![1]) };
      servers.set(block, started);
      return started;
    };
    const ran: string[] = [];
    for (const example of examples) {
      let command: string;
      if (example.command.startsWith('dig ')) command = example.command.replace('-p 1053', `-p ${(await serverFor(example.block)).port} +time=10 +tries=1`);
      else if (example.command.includes('curl ')) command = example.command.replace(/127\.0\.0\.1:9153/g, `127.0.0.1:${(await serverFor(example.block)).http}`).replace('curl ', 'curl -sf -o /dev/null ');
      else if (example.command.startsWith('cluster-dns explain ')) command = `${process.execPath} dist/main.js ${example.command.slice('cluster-dns '.length)} --zones zones --upstream none`;
      else continue; // serve lines (started above), installs, and commands that need a cluster or root
      const { stdout } = await execFileAsync('sh', ['-c', command]).catch((error: { stdout?: string; code?: number }) => {
        // explain exits non-zero on a name that does not resolve; its output still counts.
        if (example.command.startsWith('cluster-dns explain') && typeof error.stdout === 'string') return { stdout: error.stdout };
        throw error;
      });
      ran.push(example.command);
      if (example.output.length > 0) expect({ command: example.command, output: normalise(stdout.trimEnd().split('\n')) }).toEqual({ command: example.command, output: normalise(example.output) });
      else if (example.command.startsWith('dig ') && !example.command.includes('+short')) expect({ command: example.command, status: /status: (\w+)/.exec(stdout)?.[1] }).toEqual({ command: example.command, status: 'NOERROR' });
      else if (example.command.startsWith('dig ')) expect({ command: example.command, empty: stdout.trim() === '' }).toEqual({ command: example.command, empty: false });
    }
    expect(ran.length).toBeGreaterThanOrEqual(12);
  });
});
