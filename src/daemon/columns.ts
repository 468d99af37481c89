/**
 * One column list per hot table (issue 18): each table the batch writes declares its columns once,
 * with their SQL types and where their value comes from, and its statements' column lists, unnest
 * arguments and parameter arrays are generated from that list. A new column is one line.
 */

/** One column of a row the batch writes. */
export interface Column<R> {
  readonly name: string;
  /** SQL type of the column (its parameter is `<type>[]`). */
  readonly type: string;
  value(row: R): unknown;
  /** The value written, when not the parameter itself (`u` is the unnest alias), e.g. an id looked up. */
  readonly expr?: (u: string) => string;
}

/** The parameter arrays of `rows`, one per column in list order (empty arrays for no rows). */
export function columnArrays<R>(columns: readonly Column<R>[], rows: readonly R[]): unknown[][] {
  return columns.map((c) => rows.map((r) => c.value(r)));
}

/** `unnest($n::type[], …) as u(name, …)` with parameters numbered from `first`. */
export function unnestOf<R>(columns: readonly Column<R>[], first: number, alias = 'u'): string {
  return `unnest(${columns.map((c, i) => `$${first + i}::${c.type}[]`).join(', ')}) as ${alias}(${names(columns)})`;
}

/** The column names, comma-separated. */
export function names<R>(columns: readonly Column<R>[]): string {
  return columns.map((c) => c.name).join(', ');
}

/** The values written, from the unnest alias (`expr` where a column has one). */
export function selectList<R>(columns: readonly Column<R>[], alias = 'u'): string {
  return columns.map((c) => (c.expr ? c.expr(alias) : `${alias}.${c.name}`)).join(', ');
}

/** `name = <value>, …` for an UPDATE … FROM unnest, `except` the key columns. */
export function setList<R>(columns: readonly Column<R>[], except: readonly string[], alias = 'u'): string {
  return columns.filter((c) => !except.includes(c.name)).map((c) => `${c.name} = ${c.expr ? c.expr(alias) : `${alias}.${c.name}`}`).join(', ');
}
