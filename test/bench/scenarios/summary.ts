// The summary table printed at the end of `npm run bench auth`: each figure next to its target.

export interface Row {
  figure: string;
  measured: string;
  target: string;
  /** PASS / MISS against the target; 'report' for figures without one. */
  verdict: 'PASS' | 'MISS' | 'report';
}

/** A row whose verdict is `ok` (PASS, else MISS). */
export function check(figure: string, measured: string, target: string, ok: boolean): Row {
  return { figure, measured, target, verdict: ok ? 'PASS' : 'MISS' };
}

/** A row with no target. */
export function info(figure: string, measured: string, note = '—'): Row {
  return { figure, measured, target: note, verdict: 'report' };
}

/** Prints the rows as a Markdown table (pastes into docs/benchmarks.md as it is). */
export function printSummary(title: string, rows: readonly Row[]): void {
  const cells = [['figure', 'measured', 'target', 'verdict'], ...rows.map((r) => [r.figure, r.measured, r.target, r.verdict])];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n== ${title}`);
  console.log(line(cells[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells.slice(1)) console.log(line(c));
}
