import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printTable } from './output.js';
import { listAudit, type AuditRow } from '../admin/audit.js';
import { localTime } from '../admin/time.js';

/** purse audit list [--actor] [--target] [--from] [--to] [--json] (design §10). */
export function register(program: Command): void {
  const g = program.command('audit').description('the append-only audit log');
  g.command('list').description('audit records, oldest first')
    .option('--actor <actor>', 'e.g. api:alice or cli:root')
    .option('--target <target>', 'e.g. merchant:M1')
    .option('--from <time>', 'ISO date or time (inclusive)')
    .option('--to <time>', 'ISO date or time (exclusive)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      const rows: AuditRow[] = [];
      for (let after = 0; ;) {
        const page = await listAudit(ctx, { actor: o.actor, target: o.target, from: o.from, to: o.to, afterId: after, limit: 1000 });
        rows.push(...page.map((r) => ({ ...r, at: localTime(r.at, ctx.config.timezone) })));
        if (page.length < 1000) break;
        after = page[page.length - 1]!.id;
      }
      output(o.json, rows, (r) => printTable(r, ['id', 'at', 'actor', 'role', 'action', 'target', 'outcome']));
    }));
}
