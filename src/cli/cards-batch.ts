import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printJson, printLine } from './output.js';
import { issueCards, type IssueResult } from '../cards/issue.js';
import { DEFAULT_CHUNK_ROWS, loadCardsFile, type LoadOptions, type LoadSummary } from '../batch/loads.js';
import { holdForApproval } from '../batch/load-approval.js';
import { cliActor } from '../admin/audit.js';
import { operatorFromStdin } from './operator.js';

/** purse cards issue | load (batch issuance and bulk loads). */
export function register(cards: Command): void {
  cards.command('issue').description('issue a batch of cards and write the personalization file for the card bureau (mode 0600)')
    .requiredOption('--program <code>', 'program code')
    .requiredOption('--count <n>', 'number of cards')
    .option('--out <file>', 'personalization file (default batches/out/<program>-<batch>.csv)')
    .option('--batch <ref>', 'batch reference, unique per program; re-running with it issues nothing twice (default: generated)')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await issueCards(ctx, o), printIssue)));

  cards.command('load <file>').description('load stored value onto cards from a CSV file card,amount,reference (exactly once per reference and issuer)')
    .option('--expect-count <n>', 'control total: number of detail lines')
    .option('--expect-total <minor>', 'control total: sum of the amounts')
    .option('--dry-run', 'validate and report without posting')
    .option('--chunk-rows <n>', 'rows applied per committed chunk (its own short transaction)', String(DEFAULT_CHUNK_ROWS))
    .option('--as <username>', 'operator requesting a file over PURSE_LOAD_APPROVAL_OVER (password on standard input); it waits for approval')
    .option('--encoding <encoding>', 'utf8 or gbk (default: detected)')
    .option('--json', 'print JSON')
    .action((file, o) => withContext(async (ctx) => {
      const hold: LoadOptions['hold'] = o.as === undefined ? undefined : async (client, f) => {
        const maker = await operatorFromStdin(ctx, o.as);
        return holdForApproval(ctx, maker, cliActor({ username: maker.username, role: maker.role, id: maker.operatorId }))(client, f);
      };
      const summary = await loadCardsFile(ctx, { file, expectCount: o.expectCount, expectTotal: o.expectTotal, dryRun: Boolean(o.dryRun), chunkRows: o.chunkRows, encoding: o.encoding, hold, actor: cliActor() });
      if ('approval_id' in summary) {
        // Design §10: a pending load prints { status: "pending", approval_id, ... } (JSON with or without --json) and exits 0.
        printJson(summary);
        return;
      }
      output(o.json, summary, printLoad);
      if (summary.applied.count + summary.already_applied.count === 0) {
        console.error(`error: ${file}: no valid row`);
        process.exitCode = 1;
      }
    }));
}

function printIssue(r: IssueResult): void {
  if (r.already_issued) {
    printLine(`batch ${r.batch} of program ${r.program} was already issued (${r.count} cards); nothing issued`);
    printLine(`personalization file rewritten from the stored cards: ${r.file}`);
    return;
  }
  printLine(`issued ${r.count} cards of program ${r.program}, batch ${r.batch}: status ${r.status}, expiry ${r.expiry ?? 'none'}, card ids ${r.first_card_id}-${r.last_card_id}`);
  printLine(`personalization file (mode 0600): ${r.file}`);
  if (r.fee) printLine(`issuance fee: ${r.count} x ${r.fee.per_card} = ${r.fee.total} (entry ${r.fee.entry_id})`);
}

function printLoad(s: LoadSummary): void {
  printLine(`${s.file}: ${s.lines} detail lines totalling ${s.total}${s.dry_run ? ' (dry run: nothing posted)' : ''}; read as ${s.encoding}, cards by ${s.card_column === 'card' ? 'number' : 'id'}`);
  for (const c of s.control) printLine(`control totals OK (${c.source}): ${[c.count !== null && `${c.count} rows`, c.total !== null && `total ${c.total}`].filter(Boolean).join(', ')}`);
  printLine(`${s.dry_run ? 'would apply' : 'applied'}: ${s.applied.count} rows, ${s.applied.amount}`);
  printLine(`already applied: ${s.already_applied.count} rows, ${s.already_applied.amount}`);
  printLine(`rejected: ${s.rejected.count} rows -> ${s.rejects_file}`);
}
