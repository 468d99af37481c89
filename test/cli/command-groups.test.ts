import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUPS } from '../../src/cli/main.js';

/** A command's tree as names: "cards load", "cards issue", … */
const tree = (c: Command, prefix = ''): string[] => c.commands.flatMap((s) => [`${prefix}${s.name()}`, ...tree(s, `${prefix}${s.name()} `)]);

describe('a command loads only the groups that register it', () => {
  it('every top-level command has its groups, and they register the whole of it', async () => {
    const full = await buildProgram();
    const top = full.commands.map((c) => c.name()).sort();
    expect(Object.keys(COMMAND_GROUPS).sort()).toEqual(top);
    for (const name of top) {
      const alone = await buildProgram(['node', 'purse', name, '--help']);
      const want = tree(full).filter((t) => t === name || t.startsWith(`${name} `));
      expect(tree(alone).filter((t) => t === name || t.startsWith(`${name} `))).toEqual(want);
    }
  });

  it('help, a version request or an unknown command builds every group', async () => {
    const all = (await buildProgram()).commands.length;
    for (const argv of [['node', 'purse'], ['node', 'purse', '--help'], ['node', 'purse', 'nonsense']]) {
      expect((await buildProgram(argv)).commands.length).toBe(all);
    }
  });
});
