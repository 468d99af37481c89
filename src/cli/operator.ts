import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printRecord, printTable } from './output.js';
import { readStdinLine } from './stdin.js';
import { cliActor } from '../admin/audit.js';
import { addOperator, listOperators, publicOperator, setPassword, showOperator, updateOperator } from '../admin/operators.js';
import { actAs } from '../admin/sessions.js';
import type { Context } from '../context.js';
import type { Principal } from '../admin/roles.js';
import { UsageError } from '../errors.js';

const key = (k: string) => (/^\d+$/.test(k) ? Number(k) : k);

/**
 * `--as USERNAME`: the operator the CLI acts as (maker-checker), checked with the password on the
 * first line of standard input (same lockout and audit as an API login).
 */
export async function operatorFromStdin(ctx: Context, username: string | undefined): Promise<Principal> {
  if (!username) throw new UsageError('--as USERNAME is required (the operator acting; password on standard input)');
  return actAs(ctx, username, await readStdinLine());
}

/** purse operator add | list | show | disable | enable | reset-password (design §10). */
export function register(program: Command): void {
  const g = program.command('operator').description('management API operators (passwords from standard input only)');
  g.command('add').description('create an operator; the password is the first line of standard input')
    .requiredOption('--username <name>', 'login name')
    .requiredOption('--role <role>', 'platform_admin | finance | issuer_ops | merchant_admin | merchant_operator')
    .option('--merchant <code>', 'the merchant of a merchant role')
    .option('--issuer <code>', 'the issuer of issuer_ops')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      const password = await readStdinLine();
      output(o.json, publicOperator(await addOperator(ctx, { username: o.username, role: o.role, merchant: o.merchant, issuer: o.issuer, password }, cliActor())), printRecord);
    }));
  g.command('list').description('list operators').option('--merchant <code>', 'only this merchant\'s').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      const rows = (await listOperators(ctx)).filter((r) => !o.merchant || r.merchant === o.merchant).map(publicOperator);
      output(o.json, rows, (r) => printTable(r, ['id', 'username', 'role', 'merchant', 'issuer', 'disabled', 'locked_until']));
    }));
  g.command('show <operator>').description('show one operator (id or username)').option('--json', 'print JSON')
    .action((k: string, o) => withContext(async (ctx) => output(o.json, publicOperator(await showOperator(ctx, key(k))), printRecord)));
  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    g.command(`${name} <operator>`).description(`${name} an operator (id or username)`).option('--json', 'print JSON')
      .action((k: string, o) => withContext(async (ctx) => {
        const op = await showOperator(ctx, key(k));
        output(o.json, publicOperator(await updateOperator(ctx, op.id, { disabled }, cliActor())), printRecord);
      }));
  }
  g.command('reset-password <operator>').description('set a new password (first line of standard input); unlocks and ends its sessions')
    .action((k: string) => withContext(async (ctx) => {
      const op = await showOperator(ctx, key(k));
      await setPassword(ctx, op.id, await readStdinLine(), cliActor());
    }));
}
