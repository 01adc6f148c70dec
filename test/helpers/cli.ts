/** Runs the built CLI (dist/main.js) as a child process, for end-to-end tests. */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { afterEach } from 'vitest';

export const execFileAsync = promisify(execFile);
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

/** Kills `child` after the current test if it is still running (what startCli does for its own). */
export function killAfterTest<T extends ChildProcess>(child: T): T {
  children.push(child);
  return child;
}

export interface RunningCli {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

/** Starts `node dist/main.js serve …` on 127.0.0.1 port 0 and waits for its "listening" log line. */
export async function startCli(args: string[], env: NodeJS.ProcessEnv = {}, defaults = ['--http', '127.0.0.1:0']): Promise<RunningCli> {
  const child = spawn(process.execPath, ['dist/main.js', '--host', '127.0.0.1', '--port', '0', ...defaults, '--shutdown-grace', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start: ${stderr}`)), 50_000); // a hang guard: node starts slowly with every core busy
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /"msg":"listening"/.test(stderr) ? /"udp":\{[^}]*"port":(\d+)/.exec(stderr) : null;
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited with ${code}: ${stderr}`));
    });
  });
  return { child, port, stderr: () => stderr };
}

export async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('dig', ['@127.0.0.1', '-p', String(port), '+time=10', '+tries=1', ...args]);
  return stdout;
}

/** Whether `dig` is installed (CI installs it; a laptop may not have it). */
export const hasDig = (() => {
  try {
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
