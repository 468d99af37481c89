import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Context } from '../context.js';
import { mapDbError } from '../db/errors.js';
import { withTransaction } from '../db/tx.js';
import { createApproval } from '../admin/approvals.js';
import type { Actor } from '../admin/audit.js';
import type { Principal } from '../admin/roles.js';
import { createRowsTable, ROWS_TABLE } from './load-file.js';
import { applyStaged, DEFAULT_CHUNK_ROWS, type LoadOptions, type PendingLoad, type RejectSink } from './loads.js';
import type { RejectRow } from './rejects.js';

async function sha256(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The `hold` of an over-limit load file (design §10): keeps the staged rows — cards as HMAC tokens
 * and masks, never in clear — and the file's SHA-256 in a pending approval made by `maker`,
 * audited in the same transaction. The approval belongs to the file's issuer when all its known
 * cards are of one issuer (then that issuer's issuer_ops may approve it too).
 */
export function holdForApproval(ctx: Context, maker: Principal, actor: Actor): NonNullable<LoadOptions['hold']> {
  return async (client: pg.PoolClient, f) => {
    const digest = await sha256(f.file);
    const { rows } = await client.query<{ rows: unknown[]; issuers: number[] }>(`
      select coalesce((select json_agg(json_build_object('seq', seq, 'line', line, 'token', encode(token, 'base64'), 'card_id', card_id, 'masked', masked,
                'amount', amount, 'reference', reference, 'reason', reason, 'message', message) order by seq) from ${ROWS_TABLE}), '[]') as rows,
             coalesce((select array_agg(distinct p.issuer_id) from ${ROWS_TABLE} s join cards c on c.id = s.card_id or c.pan_token = s.token join programs p on p.id = c.program_id), '{}') as issuers`);
    const { rows: staged, issuers } = rows[0]!;
    const approval = await withTransaction(ctx.db.pg, (c) => createApproval(ctx, c, maker, actor, {
      kind: 'load', total: f.total, issuerId: issuers.length === 1 ? Number(issuers[0]) : null, rows: staged, fileSha256: digest,
      payload: { file: path.basename(f.file), lines: f.lines, total: f.total, by_card_id: f.byCardId, encoding: f.encoding },
    }));
    return { status: 'pending', approval_id: approval.id, file: f.file, lines: f.lines, total: f.total, file_sha256: digest };
  };
}

/** Rejects of an approved load, kept in the approval's result (the file may be on another machine). */
class RejectList implements RejectSink {
  readonly rows: RejectRow[] = [];
  get count(): number {
    return this.rows.length;
  }
  async add(rows: readonly RejectRow[]): Promise<void> {
    this.rows.push(...rows);
  }
}

/**
 * Applies an approved load: exactly the rows its pending request kept, through the same load path
 * as `purse cards load` (each reference once per issuer, so a re-run after a crash applies nothing
 * twice), and records the summary in the approval's result.
 */
export async function applyApprovedLoad(ctx: Context, approvalId: number, actor?: Actor): Promise<unknown> {
  const client = await ctx.db.pg.connect().catch((err: unknown) => { throw mapDbError(err); });
  try {
    await client.query(`set work_mem = '128MB'`);
    await createRowsTable(client);
    const { rows } = await client.query<{ payload: { file: string; by_card_id?: boolean; encoding?: string }; count: number; total: string }>(`
      with x as (
        insert into ${ROWS_TABLE} (seq, line, token, card_id, masked, amount, reference, reason, message)
        select seq, line, decode(token, 'base64'), card_id, masked, amount, reference, reason, message
        from approvals a, jsonb_to_recordset(a.rows) as r(seq integer, line integer, token text, card_id bigint, masked text, amount bigint, reference text, reason text, message text)
        where a.id = $1 and a.status = 'approved'
        returning amount
      )
      select (select payload from approvals where id = $1) as payload, (select count(*)::int from x) as count, (select coalesce(sum(amount), 0)::text from x) as total`, [approvalId]);
    const r = rows[0]!;
    const rejects = new RejectList();
    const summary = await applyStaged(ctx, client, {
      file: r.payload.file, found: { count: r.count, total: BigInt(r.total) }, byCardId: r.payload.by_card_id === true, encoding: r.payload.encoding ?? 'utf8', dryRun: false, chunkRows: DEFAULT_CHUNK_ROWS, rejects, control: [], actor,
    });
    const result = { ...summary, rejects_file: null, rejects: rejects.rows };
    await ctx.db.pg.query('update approvals set result = $2 where id = $1', [approvalId, JSON.stringify(result)]);
    return result;
  } finally {
    client.release(true);
  }
}

export type { PendingLoad };
