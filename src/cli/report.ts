import type { Command } from 'commander';
import * as settlement from './report-settlement.js';
import * as liability from './report-liability.js';
import * as statements from './report-statements.js';
import * as journal from './report-journal.js';
import * as custody from './report-custody.js';
import * as pos from './report-pos.js';

export function register(program: Command): void {
  const g = program.command('report').description('finance reports');
  settlement.register(g);
  liability.register(g);
  statements.register(g);
  journal.register(g);
  custody.register(g);
  pos.register(g);
}
