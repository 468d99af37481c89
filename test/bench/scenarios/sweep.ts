// Scenario "sweep": how the real-traffic figure moves with the number of closed-loop connections,
// and what the best of them costs in latency. The headline keeps its fixed connection count
// (BENCH_CONNECTIONS, comparable run to run); this shows the rest of the curve. More connections
// queue more messages per batch, and a bigger batch spreads its fixed cost (round trips, commit,
// the prefetch's set-up) over more purchases, but every message then waits for a longer batch:
// an open loop at 70% of the best closed loop shows whether that throughput is usable under the
// latency target.
import { fmt } from '../machine.js';
import { report } from '../harness.js';
import type { PhaseResult } from '../auth-load.js';
import { closedLoop, describeClosed, type Bench, type Closed } from './measure.js';
import { OPEN_FRACTION, openLoop } from './real.js';

export interface Sweep {
  /** One measured closed loop per connection count, in the order run. */
  loops: { connections: number; closed: Closed }[];
  best: { connections: number; closed: Closed };
  /** The open loop at 70% of the best closed loop. */
  open: PhaseResult;
}

export async function connectionSweep(
  b: Bench, pans: readonly string[], connections: readonly number[], s: { closed: number; open: number; warmup: number },
): Promise<Sweep> {
  const loops: Sweep['loops'] = [];
  for (const n of connections) {
    console.error(`auth: sweep, closed loop ${s.closed} s over ${n} connections…`);
    const closed = await closedLoop({ ...b, connections: n }, { name: `sweep-${n}`, pans, seconds: s.closed });
    loops.push({ connections: n, closed });
  }
  report('sweep: real traffic, closed loop by connections', Object.fromEntries(loops.map((l) => [`${l.connections} connections`, describeClosed(l.closed, l.connections)])));
  const best = loops.reduce((x, y) => (y.closed.tps > x.closed.tps ? y : x));
  const rate = Math.max(1, Math.round(best.closed.tps * OPEN_FRACTION));
  console.error(`auth: sweep, open loop at ${rate}/s (70% of ${fmt(best.closed.tps)}, ${best.connections} connections)…`);
  const open = await openLoop(b, pans, rate, s, `sweep: open loop at 70% of the best closed loop (${best.connections} connections)`);
  return { loops, best, open };
}
