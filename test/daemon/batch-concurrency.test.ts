import { describe, expect, it } from 'vitest';
import { batchConcurrency } from '../../src/daemon/core.js';

describe('batches in flight (PURSE_BATCH_CONCURRENCY)', () => {
  it.each([
    // configured, pool size, CPUs → batches
    [0, 8, 2, 2], // auto: one per core
    [0, 8, 1, 1],
    [0, 8, 16, 3], // auto: at most 3
    [0, 4, 16, 2], // two connections of the pool stay free
    [0, 2, 2, 1], // never below one
    [5, 8, 2, 5], // configured wins over the core count
    [9, 8, 2, 6], // but not over the pool
  ])('configured %i, pool %i, %i CPUs → %i', (configured, pool, cpus, expected) => {
    expect(batchConcurrency(configured, pool, cpus)).toBe(expected);
  });
});
