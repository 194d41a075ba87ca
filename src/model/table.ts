/**
 * The output model: what a command computes is a document of named tables whose columns are
 * declared once, next to the analysis that fills them (`TableSpec`). Writers in src/output render
 * any table (a terminal table in human units, CSV with raw integers, JSON objects); none knows a
 * command. A new output format is one writer; a new column is one declaration.
 */

/** A cell as CSV and JSON carry it: integers in ns (event ordinals in an untimed trace), text, flags. */
export type CellValue = string | number | boolean | null;

/**
 * What a column holds; the kind alone decides its JSON type, its CSV text and its terminal form.
 * - `text`: a string (a function name); the terminal shows it as is, left-aligned.
 * - `count`: a whole number (events, calls); terminal 1,234.
 * - `duration`: ns, exact integer (events in an untimed trace); terminal 1.234 ms.
 * - `time`: a point in time, ns since the trace's first event; terminal seconds to the µs (0.123456).
 * - `percent`: a share in percent with 4 decimals (5.5432); terminal 5.54%.
 * - `index`: a vCPU index or other small integer, shown as is.
 * - `flag`: true/false; CSV 0/1.
 * - `number`: any other real number (an average a query computed); shown as is.
 */
export type ColumnKind = 'text' | 'count' | 'duration' | 'time' | 'percent' | 'index' | 'flag' | 'number';

/** Units of the kinds, for docs and typed exports. */
export const KIND_UNITS: Readonly<Record<ColumnKind, string>> = {
  text: '',
  count: 'count',
  duration: 'ns',
  time: 'ns since the first event',
  percent: 'percent',
  index: '',
  flag: '',
  number: '',
};

/** The JSON type of each kind (the schemas' row types, docs/OUTPUT.md). */
export const KIND_JSON_TYPES: Readonly<Record<ColumnKind, 'string' | 'integer' | 'number' | 'boolean'>> = {
  text: 'string',
  count: 'integer',
  duration: 'integer',
  time: 'integer',
  percent: 'number',
  index: 'integer',
  flag: 'boolean',
  number: 'number',
};

export interface Column<R> {
  /** CSV header and JSON key. Integers in ns end in `_ns`. */
  readonly key: string;
  readonly kind: ColumnKind;
  /** One sentence for people who consume the output (docs/OUTPUT.md). */
  readonly doc: string;
  readonly get: (row: R) => CellValue;
  /** Terminal header (default: the key). */
  readonly title?: string;
  /** Terminal header when the trace is untimed (unit events), where it differs. */
  readonly titleEvents?: string;
  /** The value may be null (JSON null, CSV empty). */
  readonly nullable?: boolean;
  /** Written only when the run asks for it (`Table.include`): total_ns needs --stacks. */
  readonly optional?: boolean;
}

/** How numbers look on a terminal; the writer hands one to view cells (analyses do not format). */
export interface HumanFormat {
  /** The trace's unit: ns, or events for an untimed trace. */
  readonly unit: 'ns' | 'events';
  duration(v: number): string;
  /** A point in time: seconds with six decimals (events: the ordinal). */
  time(v: number): string;
  count(v: number): string;
  /** A percent value with `digits` decimals and a % sign. */
  percent(v: number, digits?: number): string;
}

/** A terminal-only column: a composition of several values (idle time with its share), or a label. */
export interface ViewColumn<R> {
  /** Names the column for a table's title overrides (`Table.titles`). */
  readonly key?: string;
  readonly title: string;
  readonly titleEvents?: string;
  readonly align?: 'left' | 'right';
  readonly cell: (row: R, f: HumanFormat) => string;
}

export interface TableSpec<R> {
  /** JSON key of the table's rows; also the name a command's `--table` or a file name uses. */
  readonly name: string;
  readonly doc: string;
  readonly columns: readonly Column<R>[];
  /** The terminal view: column keys (shown by their kind) and view-only columns; default every column. */
  readonly view?: readonly (string | ViewColumn<R>)[];
}

export function defineTable<R>(spec: TableSpec<R>): TableSpec<R> {
  const keys = new Set<string>();
  for (const c of spec.columns) {
    if (keys.has(c.key)) throw new Error(`table ${spec.name}: column ${c.key} declared twice`);
    keys.add(c.key);
  }
  for (const v of spec.view ?? []) if (typeof v === 'string' && !keys.has(v)) throw new Error(`table ${spec.name}: view names no column ${v}`);
  return spec;
}

/** A table of a result: its declaration, its rows, and the optional columns this run fills. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a document holds tables of different row types
export interface Table<R = any> {
  readonly spec: TableSpec<R>;
  readonly rows: readonly R[];
  /** Keys of optional columns present in this run. */
  readonly include?: readonly string[];
  /** Terminal only: a last row of cells under the rows (a total). */
  readonly footer?: readonly string[];
  /** Terminal only: headers of this run by column key (`idle (vCPU 3)`). */
  readonly titles?: Readonly<Record<string, string>>;
}

export function makeTable<R>(
  spec: TableSpec<R>,
  rows: readonly R[],
  extra: { include?: readonly string[]; footer?: readonly string[]; titles?: Readonly<Record<string, string>> } = {},
): Table<R> {
  return { spec, rows, ...extra };
}

/** The columns a table writes: every column, less optional ones the run did not ask for. */
export function columnsOf<R>(t: Table<R>): readonly Column<R>[] {
  return t.spec.columns.filter((c) => !c.optional || (t.include ?? []).includes(c.key));
}

/** One block of the terminal output: a heading, then a table (or a line saying it is empty), then notes. */
export interface Section {
  readonly title?: string;
  /** Name of a table of the document. */
  readonly table?: string;
  /** Shown instead of a table without rows. */
  readonly empty?: string;
  /** Lines after the table ("... 1,347 more functions"). */
  readonly notes?: readonly string[];
}

/** Commands whose JSON is a document of this model; each names its schema (schema/COMMAND.v1.json). */
export type DocumentKind = 'self-time' | 'timeline' | 'syscalls' | 'initcalls' | 'report' | 'callers' | 'callees' | 'info' | 'diff' | 'query';

/** What a command computed, for any writer. */
export interface ResultDocument {
  readonly kind: DocumentKind;
  /** The JSON summary (its shape: src/output/format-spec.ts). */
  readonly summary: object;
  /** Every table, in JSON order. */
  readonly tables: readonly Table[];
  /** Human summary lines: under the terminal tables, on stderr beside CSV. */
  readonly lines: readonly string[];
  /** The terminal layout (default: every table, untitled). */
  readonly layout?: readonly Section[];
  /** The table CSV writes (default: the first). */
  readonly csv?: string;
  /** Tables drawn on stderr after the summary lines when CSV goes to the output. */
  readonly besideCsv?: readonly string[];
}

export function tableOf(doc: ResultDocument, name: string): Table {
  const t = doc.tables.find((x) => x.spec.name === name);
  if (!t) throw new Error(`no table ${name} in the ${doc.kind} result`);
  return t;
}

/** Percent of `total` with 4 decimals, the form CSV and JSON carry (0 when the total is 0). */
export function sharePercent(part: number, total: number): number {
  return total > 0 ? Number(((part / total) * 100).toFixed(4)) : 0;
}
