import type pg from 'pg';
import type { Logger } from '../logger.js';

/**
 * After a bulk command has committed, ANALYZEs each of `written` (table name → rows it inserted
 * or changed) whose change crosses autovacuum's own analyze threshold for that table
 * (`autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × rows before`, by default
 * 50 + 10%): the tables autovacuum would analyze anyway, analyzed now rather than up to a
 * naptime later. Until then the planner estimates a table that just grew by a million rows from
 * its old size, and the daemon's prepared statements keep plans made for it (ANALYZE invalidates
 * them). Rows before are `pg_class.reltuples` (bulk COPY leaves it at its pre-command value; a
 * never-analyzed table counts as empty). Returns the tables analyzed. Must not run inside the
 * command's transaction: the statistics have to describe committed rows.
 */
export async function analyzeGrown(db: pg.ClientBase | pg.Pool, written: Readonly<Record<string, number>>, logger?: Logger): Promise<string[]> {
  const names = Object.keys(written).filter((t) => (written[t] ?? 0) > 0);
  if (names.length === 0) return [];
  const { rows } = await db.query<{ name: string; rows_before: number; threshold: number; scale: number }>(`
    select t.name, greatest(c.reltuples, 0)::float8 as rows_before,
           current_setting('autovacuum_analyze_threshold')::float8 as threshold,
           current_setting('autovacuum_analyze_scale_factor')::float8 as scale
    from unnest($1::text[]) as t(name)
    join pg_class c on c.oid = to_regclass(t.name)`, [names]);
  const due = rows.filter((r) => written[r.name]! > r.threshold + r.scale * r.rows_before).map((r) => r.name);
  if (due.length === 0) return [];
  const started = performance.now();
  // Identifiers come from the callers' literals, never from input; quoted all the same.
  await db.query(`analyze ${due.map((t) => `"${t.replaceAll('"', '""')}"`).join(', ')}`);
  logger?.info({ tables: due, ms: Math.round(performance.now() - started) }, 'analyzed the tables the command grew');
  return due;
}
