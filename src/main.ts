#!/usr/bin/env node
/** CLI entry: argv/env → options → a command; SIGINT stops at once, SIGTERM after the grace, SIGHUP reloads. */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeForCli, parseCommandLine, helpText, type CommandLine } from './cli-args.js';
import { didYouMean } from './did-you-mean.js';
import { ClusterDnsError, ConfigError } from './errors.js';
import { closeLog, createLogger, defaultLogFormat, writeAfterLog, type Logger } from './log.js';
import { systemUpstreams } from './system-upstreams.js';
import { missingZonePaths, resolveOptions, type DnsServerOptions } from './options.js';
import { checkReadyFilePath, removeReadyFile, writeReadyFile } from './ready-file.js';
import { createDnsServer, type DnsServer } from './server.js';
import { createWorkersServer } from './workers/primary.js';
import { runCheck } from './commands/check.js';
import { runExplain } from './commands/explain.js';
import { runRecords } from './commands/records.js';
import { runProbe } from './commands/probe.js';
import { runSetupResolver } from './commands/setup-resolver.js';

const EXIT_USAGE = 2;
let activeLogger: Logger | undefined;

async function main(argv: readonly string[]): Promise<number> {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv, process.env);
  } catch (error) {
    return usageError(error, {});
  }
  if (line.command === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (line.command === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  try {
    if (line.command !== 'probe' && line.command !== 'setup-resolver') line = checkZonesExist(line);
    // Validate everything up front so a bad value is one line on stderr, exit 2.
    resolveOptions(line.command === 'serve' ? line.options : { ...line.options, http: 'off' });
    if (line.command === 'serve' && line.readyFile !== undefined) checkReadyFilePath(line.readyFile, line.sources.readyFile);
  } catch (error) {
    return usageError(error, line.sources);
  }

  const offline = () => resolveOptions({ ...line.options, http: 'off' });
  switch (line.command) {
    case 'check':
      return runCheck(offline(), process.stdout);
    case 'probe':
      return runProbe(offline(), process.stdout, process.stderr);
    case 'setup-resolver':
      return runSetupResolver(offline(), line.setup, process.stdout, process.stderr);
    case 'records':
      return runRecords(offline(), line.output, process.stdout, process.stderr);
    case 'explain':
      return runExplain(resolveOptions({ ...withSystemUpstreams(line).options, http: 'off' }), line.args, line.output === 'json' ? 'json' : 'text', process.stdout, process.stderr);
    default:
      return serve(line);
  }
}

/**
 * A zones path that does not exist is a mistake, not an empty registry. When it is the default
 * `./zones` (no --zones given), say how to point the server at its data.
 */
function checkZonesExist(line: CommandLine): CommandLine {
  const zones = (line.options.zones ?? []) as readonly string[];
  const missing = missingZonePaths(zones);
  if (missing.length === 0) return line;
  const label = line.sources.zones ?? '--zones';
  if (line.zonesDefaulted) {
    // Mirroring a cluster needs no files: the guessed ./zones is simply not there.
    if (line.options.kubernetes) return { ...line, options: { ...line.options, zones: [] } };
    throw new ConfigError(`no registry: ./zones does not exist here (${process.cwd()}); pass --zones DIR_OR_FILE (or --kubeconfig FILE to read a cluster)`);
  }
  const first = missing[0]!;
  let hint = '';
  try {
    const dir = dirname(first);
    hint = didYouMean(basename(first), readdirSync(dir), (n) => (dir === '.' ? (first.startsWith('./') ? `./${n}` : n) : join(dir, n)));
  } catch {
    // The parent is missing too: nothing near to suggest.
  }
  throw new ConfigError(`${label}: "${first}" does not exist${hint}`);
}

/** The options with /etc/resolv.conf's nameservers as upstreams when --upstream was not given, and warnings about them. */
function withSystemUpstreams(line: CommandLine): { options: DnsServerOptions; warnings: readonly string[] } {
  if (!line.upstreamFromSystem) return { options: line.options, warnings: [] };
  const resolved = resolveOptions({ ...line.options, http: 'off' });
  let text: string | undefined;
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    text = undefined;
  }
  const system = systemUpstreams(text, resolved.host, resolved.port);
  return { options: { ...line.options, upstream: system.upstream }, warnings: system.warnings };
}

async function serve(line: CommandLine): Promise<number> {
  const { options, warnings } = withSystemUpstreams(line);
  const logger = createLogger({ level: resolveOptions(options).logLevel, format: line.logFormat ?? defaultLogFormat(process.stderr.isTTY === true) });
  activeLogger = logger;
  for (const warning of warnings) logger.warn({ component: 'server' }, warning);
  let server: DnsServer;
  try {
    // --workers N: this process builds the registry and serves HTTP; N workers answer DNS.
    const workers = resolveOptions(options).workers;
    const format = line.logFormat ?? defaultLogFormat(process.stderr.isTTY === true);
    server = workers > 1 ? createWorkersServer({ ...options, logger }, { logFormat: format }) : createDnsServer({ ...options, logger });
  } catch (error) {
    return failure(error, line.sources);
  }
  const running = server;
  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    // Handlers go in before start() so a signal during start-up is handled, not fatal.
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal means "now": no grace, no draining (128 + signal number, as shells report).
        logger.warn({ signal }, 'second signal: exiting now');
        exitNow(signal === 'SIGINT' ? 130 : 143);
        return;
      }
      stopping = true;
      // Ctrl-C is a person waiting: stop at once (in-flight TCP queries still finish). SIGTERM is an
      // orchestrator: keep the lame-duck grace so load balancers move away first.
      const graceMs = signal === 'SIGINT' ? 0 : undefined;
      logger.info({ signal, lameDuck: signal !== 'SIGINT' }, 'stopping');
      running.stop(graceMs === undefined ? undefined : { graceMs }).then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      // One line whatever happened, so a person who sent SIGHUP sees it arrive (the publisher's own
      // line comes only when something changed).
      running.reload().then(
        (report) =>
          logger.info(
            { component: 'server', signal: 'SIGHUP', changed: report.changed, durationMs: Math.round(report.durationMs * 10) / 10, errors: report.diagnostics.length, keptLastGood: report.keptLastGood.length, ...report.counts },
            report.changed ? 'reloaded on SIGHUP' : 'reloaded on SIGHUP: nothing changed',
          ),
        (error: unknown) => logger.error({ err: error }, 'reload failed; still serving the last good registry'),
      );
    });
  });
  let bound: Awaited<ReturnType<DnsServer['start']>>;
  try {
    bound = await running.start();
  } catch (error) {
    if (stopping) return stopped;
    return failure(error, line.sources);
  }
  if (line.readyFile !== undefined && !stopping) {
    const path = line.readyFile;
    try {
      const http = running.httpAddress;
      writeReadyFile(path, { dns: { address: bound.udp.address, port: bound.udp.port }, http: http ? { address: http.address, port: http.port } : null, pid: process.pid });
      process.once('exit', () => removeReadyFile(path));
    } catch (error) {
      // A harness waits for this file: not writing it is fatal, said once, not a server nobody finds.
      writeAfterLog(logger, `cluster-dns: --ready-file: cannot write "${path}": ${(error as Error).message}\n`);
      await running.stop({ graceMs: 0 });
      return 1;
    }
  }
  return stopped;
}

function failure(error: unknown, sources: Readonly<Record<string, string>>): number {
  if (error instanceof ClusterDnsError) {
    const message = error instanceof ConfigError ? describeForCli(error, sources) : error.message;
    writeAfterLog(activeLogger, `cluster-dns: ${message}\n`);
    return error.code === 'CONFIG_INVALID' || error.code === 'REGISTRY_INVALID' ? EXIT_USAGE : 1;
  }
  throw error;
}

function usageError(error: unknown, sources: Readonly<Record<string, string>>): number {
  if (!(error instanceof ClusterDnsError)) throw error;
  const message = error instanceof ConfigError ? describeForCli(error, sources) : error.message;
  process.stderr.write(`cluster-dns: ${message}\n`);
  return EXIT_USAGE;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** Flushes the log and exits; a timer makes sure a stuck flush cannot hold the process. */
function exitNow(code: number): void {
  setTimeout(() => process.exit(code), 200).unref();
  void closeLog(activeLogger, 100).then(() => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let the async log destination finish, then exit explicitly so nothing keeps a stopped server alive.
    const exit = () => process.exit(code);
    void closeLog(activeLogger).then(() => setImmediate(exit));
    setTimeout(exit, 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`cluster-dns: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
