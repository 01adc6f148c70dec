// The native ceiling: the same echo as ceiling-server.mjs (no DNS), through the native UDP engine
// (recvmmsg, one JavaScript call per batch, sendmmsg). What it reaches is what the engine allows on
// this machine; cluster-dns on the native engine cannot do better.
import { createRequire } from 'node:module';

const [, portText] = process.argv.slice(2);
const addon = createRequire(import.meta.url)('../build/Release/udp_engine.node');
const BATCH = 64;
const IN_SLOT = 65536;
const OUT_SLOT = 4096;
const { handle } = addon.open(4, '127.0.0.1', Number(portText), false, 4 << 20);
const inBytes = new Uint8Array(BATCH * IN_SLOT);
const inLengths = new Int32Array(BATCH);
const addresses = new Uint8Array(BATCH * 20);
const outBytes = new Uint8Array(BATCH * OUT_SLOT);
const outLengths = new Int32Array(BATCH);
addon.start(
  handle,
  (count) => {
    for (let i = 0; i < count; i++) {
      const length = Math.min(inLengths[i], OUT_SLOT);
      outBytes.set(inBytes.subarray(i * IN_SLOT, i * IN_SLOT + length), i * OUT_SLOT);
      outBytes[i * OUT_SLOT + 2] |= 0x80;
      outLengths[i] = length;
    }
  },
  BATCH,
  IN_SLOT,
  OUT_SLOT,
  inBytes.buffer,
  inLengths.buffer,
  addresses.buffer,
  outBytes.buffer,
  outLengths.buffer,
);
process.stdout.write('listening\n');
process.on('SIGTERM', () => addon.close(handle, () => process.exit(0)));
