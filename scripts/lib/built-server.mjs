// Runs the built CLI (dist/main.js) for the fuzz and soak scripts: waits for its bound UDP port,
// notices an unexpected exit (a crash), reads its resident memory, and stops it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export async function startBuiltServer(args, label) {
  const child = spawn(process.execPath, ['dist/main.js', '--port', '0', '--http', 'off', '--shutdown-grace', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const state = { crashed: false, stopping: false };
  child.on('exit', (code, signal) => {
    if (state.stopping) return;
    state.crashed = true;
    console.error(`server exited during the ${label}: code ${code} signal ${signal}`);
  });
  const port = await new Promise((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (chunk) => {
      text += chunk;
      const m = /"udp":\{"address":"[^"]+","family":"IPv4","port":(\d+)\}/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    setTimeout(() => reject(new Error(`server did not start: ${text}`)), 60000).unref();
  });
  return {
    child,
    port,
    get crashed() {
      return state.crashed;
    },
    /** Marks a crash found some other way (e.g. the server stopped answering). */
    markCrashed() {
      state.crashed = true;
    },
    rssMiB() {
      try {
        return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024);
      } catch {
        return NaN;
      }
    },
    async stop() {
      state.stopping = true;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
