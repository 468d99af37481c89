// `npm run bench [name …]`: runs the benchmarks (all, or those named) against a durable PostgreSQL.
import { stopBenchServer } from './harness.js';

type Bench = () => Promise<void>;

/** Each capability registers its benchmark here: name → module exporting `run`. */
const BENCHES: Record<string, () => Promise<{ run: Bench }>> = {
  auth: () => import('./auth.js'),
  settlement: () => import('./settlement.js'),
  issuance: () => import('./issuance.js'),
  loads: () => import('./loads.js'),
  iso: () => import('./iso.js'),
};

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(BENCHES);
try {
  for (const name of names) {
    const load = BENCHES[name];
    if (!load) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    await (await load()).run();
  }
} finally {
  await stopBenchServer();
}
