import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { RuntimeMetrics } from '../../src/daemon/runtime-metrics.js';
import { churnGarbage } from '../helpers/daemon-extra.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of the sample `name` in exposition lines, or undefined. */
const sample = (lines: string[], name: string) => {
  const line = lines.find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

/** The exposition lines of `m` alone, as /metrics shows them (through a prom-client registry). */
async function linesOf(m: RuntimeMetrics): Promise<string[]> {
  const registry = new Registry();
  m.registerIn(registry);
  return (await registry.metrics()).split('\n');
}

describe('RuntimeMetrics', () => {
  let m: RuntimeMetrics | undefined;
  afterEach(() => m?.stop());

  it('shows how late the event loop ran in the last complete window only, max included', async () => {
    m = new RuntimeMetrics(300);
    expect((await linesOf(m)).some((l) => l.startsWith('purse_event_loop_delay_seconds{'))).toBe(false); // no window ended yet
    await sleep(20);
    const blockedUntil = Date.now() + 120;
    while (Date.now() < blockedUntil); // hold the event loop for 120 ms
    // The window holding the block is shown for one window's time after it ends.
    let max: number | undefined;
    for (let waited = 0; waited < 3_000 && !(max! >= 0.1); waited += 20) {
      await sleep(20);
      max = sample((await linesOf(m)), 'purse_event_loop_delay_seconds{quantile="1"}');
    }
    expect(max).toBeGreaterThanOrEqual(0.1);
    // Lateness only: the monitor's 10 ms sampling interval is not counted as delay.
    expect(sample((await linesOf(m)), 'purse_event_loop_delay_seconds{quantile="0.5"}')).toBeLessThan(0.008);
    // A later window no longer holds it.
    for (let waited = 0; waited < 3_000 && max! >= 0.1; waited += 20) {
      await sleep(20);
      max = sample((await linesOf(m)), 'purse_event_loop_delay_seconds{quantile="1"}');
    }
    expect(max).toBeLessThan(0.1);
  });

  it('counts garbage collector pauses and their time by kind', async () => {
    m = new RuntimeMetrics();
    expect(await churnGarbage()).toBeGreaterThan(0);
    const lines = (await linesOf(m));
    expect(sample(lines, 'purse_gc_pauses_total{kind="minor"}')).toBeGreaterThan(0);
    expect(sample(lines, 'purse_gc_pause_seconds_total{kind="minor"}')).toBeGreaterThan(0);
  });

  it('stops observing when stopped', async () => {
    m = new RuntimeMetrics();
    m.stop();
    expect(await churnGarbage()).toBeGreaterThan(0);
    expect(sample((await linesOf(m)), 'purse_gc_pauses_total{kind="minor"}')).toBeUndefined();
  });
});
