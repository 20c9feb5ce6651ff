import Table from 'cli-table3';

export interface Output {
  json: boolean;
  /** The command's result: JSON on stdout with --json, else the human rendering. */
  result(value: unknown, human: () => string): void;
  /** Progress for anything that takes more than a moment: stderr, never mixed into --json. */
  progress(message: string): void;
}

export function createOutput(json: boolean, quiet = false): Output {
  return {
    json,
    result: (value, human) => {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human().replace(/\n*$/, '')}\n`);
    },
    progress: (message) => {
      if (!quiet) process.stderr.write(`… ${message}\n`);
    },
  };
}

/** The narrowest the last column gets when a terminal is too narrow for the table. */
const MIN_LAST_COLUMN = 20;
/** cli-table3's cell padding: one space each side. */
const PADDING = 2;

type Cell = string | number | boolean | null | undefined;

const text = (cell: Cell): string => (cell === null || cell === undefined ? '' : String(cell));

/** What a cell takes on screen: its longest line, in code points. */
const visibleWidth = (cell: string): number => Math.max(0, ...cell.split('\n').map((line) => [...line].length));

/**
 * Each column as wide as its content (padding included). On a terminal (`terminalColumns`) a
 * table too wide for it wraps its last column, the free text, to the width left; the others,
 * ids among them, are never cut. Off a terminal nothing wraps: a pipe gets whole lines.
 * (cli-table3 cuts what does not fit its column with `…`, so every width here fits its content.)
 */
export function columnWidths(head: readonly string[], rows: readonly Cell[][], terminalColumns?: number): number[] {
  const widths = head.map(
    (title, i) => Math.max(visibleWidth(title), ...rows.map((row) => visibleWidth(text(row[i])))) + PADDING,
  );
  const last = widths.length - 1;
  if (terminalColumns === undefined || last < 0) return widths;
  const borders = widths.length + 1;
  const others = widths.slice(0, last).reduce((sum, w) => sum + w, 0);
  const room = terminalColumns - borders - others;
  // Wrapped at spaces, never inside a word: a URL or a DN longer than the room widens the column.
  const longestWord = Math.max(
    0,
    ...rows.flatMap((row) =>
      text(row[last])
        .split(/\s+/)
        .map((word) => [...word].length),
    ),
  );
  widths[last] = Math.min(widths[last] as number, Math.max(MIN_LAST_COLUMN + PADDING, room, longestWord + PADDING));
  return widths;
}

/** The terminal's width when stdout is one; undefined when it is a pipe or a file. */
export const terminalWidth = (): number | undefined => (process.stdout.isTTY ? process.stdout.columns : undefined);

export function table(head: string[], rows: Cell[][], terminalColumns: number | undefined = terminalWidth()): string {
  const colWidths = columnWidths(head, rows, terminalColumns);
  const t = new Table({ head, style: { head: [], border: [] }, wordWrap: true, colWidths });
  for (const row of rows) t.push(row.map(text));
  return t.toString();
}

export const mark = (ok: boolean | 'warn' | 'skip'): string =>
  ok === 'warn' ? 'WARN' : ok === 'skip' ? 'SKIP' : ok ? 'PASS' : 'FAIL';
