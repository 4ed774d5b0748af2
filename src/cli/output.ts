/**
 * Output of the `temporal-ts workflow|operator` commands: text for people (aligned borderless
 * columns and key/value blocks, as Temporal's `temporal` CLI prints them) or one JSON document for
 * scripts (`--output json`), colour only where it helps and only on a terminal (`--color auto`).
 *
 * A small helper rather than cli-table3: Temporal's CLI prints borderless aligned columns, which is
 * ~20 lines here, while cli-table3 draws boxes and would be one more dependency.
 */

export type OutputFormat = 'text' | 'json';
export type ColorMode = 'auto' | 'always' | 'never';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json'];
export const COLOR_MODES: readonly ColorMode[] = ['auto', 'always', 'never'];

/** An error the CLI prints as one sentence (`error: …`) before exiting 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** `auto`: colour only when the stream is a terminal and NO_COLOR is not set. */
export function colorEnabled(mode: ColorMode, stream: { isTTY?: boolean } = process.stdout): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

const ANSI = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof ANSI;

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*m/g;
/** Display width of a cell: without colour codes. */
export function visibleLength(s: string): number {
  return s.replace(ANSI_RE, '').length;
}

/** Colour by workflow status (COMPLETED green, FAILED/TIMED_OUT red, TERMINATED/CANCELED yellow, RUNNING blue). */
export function statusStyle(status: string): Style | undefined {
  if (/COMPLETED/.test(status)) return 'green';
  if (/FAILED|TIMED_OUT/.test(status)) return 'red';
  if (/TERMINATED|CANCELED/.test(status)) return 'yellow';
  if (/RUNNING/.test(status)) return 'blue';
  return undefined;
}

export class Printer {
  constructor(
    readonly format: OutputFormat,
    readonly color: boolean,
    private readonly write: (s: string) => void = (s) => void process.stdout.write(s),
  ) {}

  get json(): boolean {
    return this.format === 'json';
  }

  paint(style: Style | undefined, s: string): string {
    if (!this.color || !style) return s;
    const [on, off] = ANSI[style];
    return `\u001b[${on}m${s}\u001b[${off}m`;
  }

  line(s = ''): void {
    this.write(`${s}\n`);
  }

  heading(s: string): void {
    this.line(this.paint('magenta', s));
  }

  /** One JSON document (pretty, stable key order as built). */
  printJson(doc: unknown): void {
    this.line(JSON.stringify(doc, null, 2));
  }

  /** Aligned key/value lines, indented: Temporal's "structured" text output. Empty values print as blank. */
  fields(pairs: ReadonlyArray<readonly [string, string | undefined]>, indent = 2): void {
    const width = Math.max(0, ...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) {
      const value = v ?? '';
      const lines = value.split('\n');
      this.line(`${' '.repeat(indent)}${this.paint('bold', k.padEnd(width))}  ${lines[0]}`.trimEnd());
      for (const more of lines.slice(1)) this.line(`${' '.repeat(indent + width + 2)}${more}`);
    }
  }

  /** Borderless table with a header row; columns padded to their widest cell. */
  table(columns: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = 2): void {
    for (const line of formatTable(columns, rows, (s) => this.paint('bold', s))) this.line(`${' '.repeat(indent)}${line}`.trimEnd());
  }
}

export function formatTable(columns: readonly string[], rows: ReadonlyArray<readonly string[]>, header: (s: string) => string = (s) => s): string[] {
  const cells = rows.map((r) => columns.map((_, i) => (r[i] ?? '').replace(/\n/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => visibleLength(r[i]!))));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - visibleLength(s)));
  const out = [columns.map((c, i) => header(pad(c, widths[i]!))).join('  ')];
  for (const r of cells) out.push(r.map((c, i) => pad(c, widths[i]!)).join('  '));
  return out;
}

/** A value for a text cell: strings as they are, everything else as compact JSON. */
export function textValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Compact JSON of a payload list for text output: `["a",1]`. */
export function argsText(values: readonly unknown[] | undefined): string {
  return values && values.length > 0 ? JSON.stringify(values) : '';
}
