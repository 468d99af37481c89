import type { Command } from 'commander';
import { withContext } from './context.js';
import { output, printLine, printRecord, printTable } from './output.js';
import { InputError } from '../errors.js';
import { addGame, listGames, setGameActive, showGame, type GameView, type PrizeInput } from '../points/lottery/games.js';
import { auditGame } from '../points/lottery/audit.js';

const PRIZE_KEYS = ['code', 'name', 'points', 'goods', 'merchant', 'probability', 'stock', 'fallback'] as const;

/** One `--prize` option: comma-separated key=value pairs, e.g. `code=BIG,points=5000,probability=0.01,stock=3,fallback=SMALL`. */
export function parsePrizeSpec(spec: string, i: number): PrizeInput {
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq < 0 || !(PRIZE_KEYS as readonly string[]).includes(key)) {
      throw new InputError('invalid_prize', `--prize #${i + 1}: "${part}" is not key=value with a key among ${PRIZE_KEYS.join(', ')}`, `prizes[${i}]`);
    }
    out[key] = part.slice(eq + 1).trim();
  }
  return out as unknown as PrizeInput;
}

function printGame(g: GameView): void {
  const { prizes, ...game } = g;
  printRecord(game);
  printLine();
  printTable(prizes, ['code', 'name', 'kind', 'points', 'goods_value', 'merchant', 'probability', 'stock', 'initial_stock', 'fallback']);
}

/** purse game add | list | show | activate | deactivate | audit (points lottery games). */
export function register(program: Command): void {
  const g = program.command('game').description('points lottery games');
  g.command('add').description('register a lottery game and its prize table')
    .requiredOption('--code <code>', 'game code (the `game` field of a lottery request)')
    .option('--name <name>', 'display name')
    .requiredOption('--scheme <code>', 'points scheme the game is played in')
    .requiredOption('--cost <points>', 'points a draw costs')
    .requiredOption('--prize <spec>', 'a prize, repeatable, in table order: code=C[,name=N],points=P|goods=VALUE,merchant=M,probability=0.05[,stock=N][,fallback=CODE]',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--inactive', 'create it closed for draws')
    .option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => {
      const prizes = (o.prize as string[]).map(parsePrizeSpec);
      output(o.json, await addGame(ctx, { code: o.code, name: o.name, scheme: o.scheme, cost: o.cost, inactive: o.inactive === true, prizes }), printGame);
    }));
  g.command('list').description('list games').option('--json', 'print JSON')
    .action((o) => withContext(async (ctx) => output(o.json, await listGames(ctx),
      (rows) => printTable(rows.map((r) => ({ ...r, prizes: r.prizes.map((p) => p.code) })), ['code', 'name', 'scheme', 'cost_points', 'active', 'prizes', 'draws']))));
  g.command('show <code>').description('show a game with its prize table and stock').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => output(o.json, await showGame(ctx, code), printGame)));
  for (const [name, active] of [['activate', true], ['deactivate', false]] as const) {
    g.command(`${name} <code>`).description(active ? 'open a game for draws' : 'close a game: draws are declined 12').option('--json', 'print JSON')
      .action((code, o) => withContext(async (ctx) => output(o.json, await setGameActive(ctx, code, active), printGame)));
  }
  g.command('audit <code>').description('replay every recorded draw and check the stock; exits 1 on any mismatch').option('--json', 'print JSON')
    .action((code, o) => withContext(async (ctx) => {
      const audit = await auditGame(ctx, code);
      output(o.json, audit, (a) => {
        printLine(`game ${a.game}: ${a.draws} draw(s) replayed`);
        for (const m of a.mismatches) printLine(`draw ${m.draw_id} (value ${m.random_value}): ${m.problem}`);
        for (const s of a.stock) printLine(`prize ${s.prize}: ${s.initial_stock} stocked, ${s.awarded} awarded, ${s.stock} left${s.ok ? '' : ' — MISMATCH'}`);
        printLine(a.ok ? 'audit OK' : 'audit FAILED');
      });
      if (!audit.ok) process.exitCode = 1;
    }));
}
