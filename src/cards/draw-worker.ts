// Worker thread of bulk issuance: draws chunks of cards (CSPRNG PANs, HMAC tokens, AES-GCM
// ciphertexts — most of issuance's CPU) while the main thread streams earlier chunks to the
// database, so on a 2-core machine the two overlap instead of taking turns.
import { parentPort, workerData } from 'node:worker_threads';
import type { Keyring } from './keys.js';
import { drawCards, type DrawSpec } from './draw.js';
import { RandomPool } from './random-pool.js';

/** What the main thread hands the worker (Buffers arrive as Uint8Arrays). */
export interface DrawWorkerData {
  /** Only the current encryption key and the token key (never the PIN key). */
  keys: { current: string; encryption: Record<string, Uint8Array>; token: Uint8Array };
  spec: DrawSpec;
}

const data = workerData as DrawWorkerData;
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const keys: Keyring = {
  current: data.keys.current,
  encryption: Object.fromEntries(Object.entries(data.keys.encryption).map(([id, k]) => [id, buf(k)])),
  token: buf(data.keys.token),
  pin: Buffer.alloc(0),
};
const pool = new RandomPool();

parentPort!.on('message', (n: number) => {
  parentPort!.postMessage(drawCards(keys, data.spec, n, pool));
});
