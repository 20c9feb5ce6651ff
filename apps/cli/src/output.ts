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

/** Width the last column wraps at: long explanations stay readable in a terminal. */
const LAST_COLUMN_WIDTH = 72;

export function table(head: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  const colWidths = head.map((_, i) => (i === head.length - 1 ? LAST_COLUMN_WIDTH : null));
  const t = new Table({ head, style: { head: [], border: [] }, wordWrap: true, colWidths });
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  return t.toString();
}

export const mark = (ok: boolean | 'warn' | 'skip'): string =>
  ok === 'warn' ? 'WARN' : ok === 'skip' ? 'SKIP' : ok ? 'PASS' : 'FAIL';
