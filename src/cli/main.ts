import { Command, CommanderError } from 'commander';
import { PurseError } from '../errors.js';
import { mapDbError } from '../db/errors.js';
import { scrubPans } from '../cards/luhn.js';
import { markCommand } from './context.js';
import { purseVersion } from '../version.js';

/** A command group: one file that registers its commands on the program. */
interface Group { register(program: Command): void }

/**
 * The command groups, in registration order. Loaded only when needed: a command loads the group
 * that registers it, not all of them (loading every group and what it imports took about 0.4 s of
 * CPU before any command ran — on the machine the daemon shares, a bulk load's start-up competed
 * with authorizations).
 */
const GROUPS = {
  db: () => import('./db.js'),
  issuer: () => import('./issuer.js'),
  program: () => import('./program.js'),
  merchant: () => import('./merchant.js'),
  channel: () => import('./channel.js'),
  alliance: () => import('./alliance.js'),
  scheme: () => import('./scheme.js'),
  game: () => import('./game.js'),
  cards: () => import('./cards.js'),
  send: () => import('./send.js'),
  serve: () => import('./serve.js'),
  settle: () => import('./settle.js'),
  report: () => import('./report.js'),
  breakage: () => import('./breakage.js'),
  ledger: () => import('./ledger.js'),
  demo: () => import('./demo.js'),
  operator: () => import('./operator.js'),
  audit: () => import('./audit.js'),
  adjust: () => import('./adjust.js'),
  approvals: () => import('./approvals.js'),
  terminalKey: () => import('./terminal-key.js'),
  pos: () => import('./pos.js'),
  holder: () => import('./holder.js'),
} satisfies Record<string, () => Promise<Group>>;

type GroupName = keyof typeof GROUPS;

/** Each top-level command and the groups that register it (test/cli/command-groups.test.ts keeps this complete). */
export const COMMAND_GROUPS: Readonly<Record<string, readonly GroupName[]>> = {
  db: ['db'], issuer: ['issuer'], program: ['program'], merchant: ['merchant'], terminal: ['merchant', 'terminalKey'],
  channel: ['channel'], alliance: ['alliance'], scheme: ['scheme'], rate: ['scheme'], game: ['game'], cards: ['cards'],
  send: ['send'], serve: ['serve'], settle: ['settle'], report: ['report'], breakage: ['breakage'], ledger: ['ledger'],
  demo: ['demo'], operator: ['operator'], audit: ['audit'], adjust: ['adjust'], approvals: ['approvals'], pos: ['pos'],
  holder: ['holder'],
};

/**
 * The command tree for `argv`: the groups registering its command, or every group when it names
 * none that is known (help, version, a mistyped command: commander then lists them all).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('purse')
    .description('Purse: prepaid stored-value and loyalty-points card processor')
    .version(purseVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError();
  program.hook('preAction', (_root, action) => markCommand(action));
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  const names = (command !== undefined && COMMAND_GROUPS[command]) || (Object.keys(GROUPS) as GroupName[]);
  for (const name of names) (await GROUPS[name]()).register(program);
  program.commands.forEach(function override(c: Command) {
    c.exitOverride();
    c.commands.forEach(override);
  });
  return program;
}

/** Exit status of a command whose reader closed its output early, as a shell reports SIGPIPE (128 + 13). */
const CLOSED_OUTPUT = 141;

/** Runs the CLI; resolves to the exit code of design §6 (0 ok, 1 bad input, 2 usage, 75 temporary). */
export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`purse … | head`) closes the pipe: stop quietly, as Unix tools do on
  // SIGPIPE, instead of an unhandled 'error' event with a stack.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(CLOSED_OUTPUT);
  });
  try {
    await (await buildProgram(argv)).parseAsync(argv);
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
