import type pg from 'pg';
import { expect } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.js';

/** Outputs of one database's day by name (answers as JSON text, files as their text). */
export type Outputs = Record<string, string>;

/** The cluster's outputs are the single server's: the same names, in the same order, each the same text. */
export function expectSameOutputs(single: Outputs, cluster: Outputs): void {
  expect(Object.keys(cluster)).toEqual(Object.keys(single));
  for (const name of Object.keys(single)) expect({ name, out: cluster[name] }).toEqual({ name, out: single[name] });
}

/** `ledger verify` is clean on every one of the databases. */
export async function expectVerified(...dbs: pg.Pool[]): Promise<void> {
  for (const db of dbs) expect((await verifyLedger(db)).ok).toBe(true);
}
