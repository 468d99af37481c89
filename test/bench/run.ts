// `npm run bench [name …] [-- --scenario S]`: runs the benchmarks (all, or those named) against a
// durable PostgreSQL. `--scenario` selects the auth bench's scenarios (default all); `--citus` runs the
// auth bench's real traffic on a local Citus cluster next to a single server (scenarios/citus.ts).
import { parseArgs } from 'node:util';
import { stopBenchServer } from './harness.js';

/** Options of a bench run (each bench reads those it knows). */
export interface BenchOptions { scenario?: string; citus?: boolean }

type Bench = (opts: BenchOptions) => Promise<void>;

/** Each capability registers its benchmark here: name → module exporting `run`. */
const BENCHES: Record<string, () => Promise<{ run: Bench }>> = {
  auth: () => import('./auth.js'),
  settlement: () => import('./settlement.js'),
  issuance: () => import('./issuance.js'),
  loads: () => import('./loads.js'),
  iso: () => import('./iso.js'),
};

// The benches time the load path itself: a second operator's approval of a large file (maker-checker,
// design §10) is a people step outside what they measure, so no bench file waits for one.
process.env.PURSE_LOAD_APPROVAL_OVER ??= String(Number.MAX_SAFE_INTEGER);

const { values, positionals } = parseArgs({ options: { scenario: { type: 'string' }, citus: { type: 'boolean' } }, allowPositionals: true });
const names = positionals.length ? positionals : Object.keys(BENCHES);
try {
  for (const name of names) {
    const load = BENCHES[name];
    if (!load) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    await (await load()).run(values);
  }
} finally {
  await stopBenchServer();
}
