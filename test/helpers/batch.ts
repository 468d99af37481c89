import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { Context } from '../../src/context.js';
import { issueCards } from '../../src/cards/issue.js';
import { runCli, type CliResult } from './cli.js';

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix = 'purse-batch-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The rows of a personalization file (header and trailer checked). */
export function readPersonalization(file: string): { pan: string; expiry: string; cardId: number }[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== 'pan,expiry,card_id') throw new Error(`bad header in ${file}: ${lines[0]}`);
  if (lines.at(-1) !== '') throw new Error(`${file} does not end with a newline`);
  const trailer = lines.at(-2)!;
  const rows = lines.slice(1, -2).map((l) => {
    const [pan, expiry, id] = l.split(',');
    return { pan: pan!, expiry: expiry!, cardId: Number(id) };
  });
  if (trailer !== `TRAILER,${rows.length}`) throw new Error(`bad trailer in ${file}: ${trailer}`);
  return rows;
}

/** Issues `count` cards of `program` through the domain function and returns their PANs in card-id order. */
export async function issuePans(ctx: Context, dir: string, program: string, count: number, batch: string): Promise<string[]> {
  const out = path.join(dir, `${program}-${batch}.csv`);
  await issueCards(ctx, { program, count, batch, out });
  return readPersonalization(out).map((r) => r.pan);
}

/** Writes a load file: header, `rows` (strings or [card, amount, reference]), optional trailer. */
export function writeLoadFile(dir: string, name: string, rows: (string | [string, string | number, string])[], trailer?: [number, number]): string {
  const file = path.join(dir, name);
  const lines = ['card,amount,reference', ...rows.map((r) => (typeof r === 'string' ? r : r.join(',')))];
  if (trailer) lines.push(`TRAILER,${trailer[0]},${trailer[1]}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The rejects file of `file` as objects. */
export function readRejects(file: string): { line: number; card: string; reference: string; reason: string; message: string }[] {
  const text = fs.readFileSync(`${file}.rejects.csv`, 'utf8');
  const [header, ...lines] = text.trimEnd().split('\n');
  if (header !== 'line,card,reference,reason,message') throw new Error(`bad rejects header: ${header}`);
  return lines.map((l) => {
    const m = /^(\d+),([^,]*),([^,]*),([a-z_]+),(.*)$/.exec(l);
    if (!m) throw new Error(`unreadable rejects line: ${l}`);
    return { line: Number(m[1]), card: m[2]!, reference: m[3]!, reason: m[4]!, message: m[5]! };
  });
}

/** Runs `purse cards load <file> [args]` through the real CLI against `ctx`'s database. */
export function loadCli(ctx: { env: NodeJS.ProcessEnv }, file: string, args: string[] = []): Promise<CliResult> {
  return runCli(['cards', 'load', file, ...args], ctx.env);
}

/** The total of `load_references` and of the bulk_load postings onto card value accounts. */
export async function loadState(ctx: Context): Promise<{ references: number; entries: number; credited: number }> {
  const { rows: [r] } = await ctx.db.pg.query<{ references: number; entries: number; credited: number }>(`
    select (select count(*) from load_references)::int as references,
           (select count(*) from entries where kind = 'bulk_load')::int as entries,
           (select coalesce(sum(amount), 0) from postings where entry_kind = 'bulk_load' and card_id is not null)::bigint as credited`);
  return r!;
}
