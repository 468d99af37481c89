import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printRecord, printTable } from './output.js';
import { operatorFromStdin } from './operator.js';
import { cliActor } from '../admin/audit.js';
import { decideApproval, listApprovals, type Approval } from '../admin/approvals.js';
import { applyApprovedLoad } from '../batch/load-approval.js';
import { UsageError } from '../errors.js';
import type { Principal } from '../admin/roles.js';

/** An approval as `key: value` lines (payload and result as JSON). */
export function printApproval(a: Approval): void {
  printRecord({ ...a, payload: JSON.stringify(a.payload), result: a.result === null ? null : JSON.stringify(a.result) });
}

const actorOf = (p: Principal) => cliActor({ username: p.username, role: p.role, id: p.operatorId });

/** purse approvals list | approve ID | reject ID --as USERNAME (design §10). */
export function register(program: Command): void {
  const g = program.command('approvals').description('maker-checker requests: adjustments and over-limit load files');
  g.command('list').description('requests the operator may see (password on standard input)')
    .requiredOption('--as <username>', 'the operator (finance, or issuer_ops for its issuer\'s loads)')
    .option('--status <status>', 'pending | approved | rejected | expired')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      const p = await operatorFromStdin(ctx, o.as);
      if (p.role !== 'finance' && p.role !== 'issuer_ops') throw new UsageError(`a ${p.role} has no approvals to list`);
      output(o.json, await listApprovals(ctx, p, { status: o.status }), (r) => printTable(r, ['id', 'kind', 'status', 'maker', 'checker', 'issuer', 'total', 'expires_at']));
    }));
  for (const decision of ['approve', 'reject'] as const) {
    g.command(`${decision} <id>`).description(`${decision} a pending request (never one's own)`)
      .requiredOption('--as <username>', 'the checker (password on standard input)')
      .option('--json', 'print JSON')
      .action((id: string, o) => withContext(async (ctx) => {
        if (!/^[1-9]\d{0,15}$/.test(id)) throw new UsageError('ID must be a positive integer');
        const p = await operatorFromStdin(ctx, o.as);
        output(o.json, await decideApproval(ctx, p, actorOf(p), Number(id), decision, applyApprovedLoad), printApproval);
      }));
  }
}
