import type { Command } from 'commander';
import * as batch from './cards-batch.js';
import * as lifecycle from './cards-lifecycle.js';

export function register(program: Command): void {
  const g = program.command('cards').description('cards: bulk issuance and loads, lifecycle');
  batch.register(g);
  lifecycle.register(g);
}
