/** For scripts that run the built CLI against the in-process fake Kubernetes API: its kubeconfig, and polling. */
import { writeFileSync } from 'node:fs';

/** Writes a kubeconfig that points at the fake API (`url`, its CA) with a bearer token. */
export function writeFakeKubeconfig(file: string, api: { readonly url: string; readonly caCert: string | Buffer }, token: string): void {
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'fake',
      clusters: [{ name: 'fake', cluster: { server: api.url, 'certificate-authority-data': Buffer.from(api.caCert).toString('base64') } }],
      users: [{ name: 'u', user: { token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
    }),
  );
}

/** Polls `check` every `everyMs` until it gives a value; past `ms`, throws naming `what` and the server's last stderr. */
export async function pollUntil<T>(check: () => Promise<T | undefined> | T | undefined, what: string, stderr: () => string, ms = 300_000, everyMs = 5): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
