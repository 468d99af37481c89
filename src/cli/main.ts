import { Command, CommanderError } from 'commander';
import { PurseError } from '../errors.js';
import { mapDbError } from '../db/errors.js';
import { scrubPans } from '../cards/luhn.js';
import * as db from './db.js';
import * as issuer from './issuer.js';
import * as programCmd from './program.js';
import * as merchant from './merchant.js';
import * as channel from './channel.js';
import * as alliance from './alliance.js';
import * as scheme from './scheme.js';
import * as ledger from './ledger.js';
import * as demo from './demo.js';
import * as serve from './serve.js';
import * as cards from './cards.js';
import * as send from './send.js';
import * as settle from './settle.js';
import * as report from './report.js';
import * as breakage from './breakage.js';
import * as game from './game.js';
import * as operator from './operator.js';
import * as audit from './audit.js';
import * as adjust from './adjust.js';
import * as approvals from './approvals.js';
import { markCommand } from './context.js';
import { purseVersion } from '../version.js';
import * as holder from './holder.js';
import * as terminalKey from './terminal-key.js';
import * as pos from './pos.js';

/** The command tree; each group registers itself from its own file. */
export function buildProgram(): Command {
  const program = new Command('purse')
    .description('Purse: prepaid stored-value and loyalty-points card processor')
    .version(purseVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError();
  program.hook('preAction', (_root, action) => markCommand(action));
  const groups = [db, issuer, programCmd, merchant, channel, alliance, scheme, game, cards, send, serve, settle, report, breakage, ledger, demo, operator, audit, adjust, approvals, terminalKey, pos, holder];
  for (const group of groups) group.register(program);
  program.commands.forEach(function override(c: Command) {
    c.exitOverride();
    c.commands.forEach(override);
  });
  return program;
}

/** Runs the CLI; resolves to the exit code of design §6 (0 ok, 1 bad input, 2 usage, 75 temporary). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (raw) {
    if (raw instanceof CommanderError) {
      return raw.exitCode === 0 ? 0 : 2;
    }
    const err = mapDbError(raw);
    if (err instanceof PurseError) {
      const field = err.field ? ` (field: ${err.field})` : '';
      console.error(`error: ${scrubPans(err.message)}${field}`);
      return err.exitCode;
    }
    console.error(`internal error: ${scrubPans(String((err as Error)?.stack ?? err))}`);
    return 70;
  }
}
