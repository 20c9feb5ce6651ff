import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { repositoryRoot } from '@writeback/supervisor';
import { buildProgram } from './main';

/** Every command without subcommands, by its path (`domains add`), with its own long options. */
function leafCommands(program: Command): Array<{ path: string; options: string[] }> {
  const leaves: Array<{ path: string; options: string[] }> = [];
  const walk = (command: Command, path: string[]): void => {
    if (command.commands.length === 0) {
      leaves.push({ path: path.join(' '), options: command.options.map((o) => o.long).filter((l) => l !== undefined) });
    }
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  for (const command of program.commands) walk(command, [command.name()]);
  return leaves;
}

/** The rows of the table under `## Commands`, by the text of their first cell. */
function commandRows(markdown: string): string[] {
  const section = markdown.split(/^## Commands$/m)[1]?.split(/^## /m)[0] ?? '';
  return section.split('\n').filter((line) => line.startsWith('| `'));
}

describe('docs/cli.md', () => {
  const markdown = readFileSync(join(repositoryRoot(), 'docs/cli.md'), 'utf8');
  const program = buildProgram({});
  const rows = commandRows(markdown);

  it('has a command table to check', () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  it.each(leafCommands(program).map((c) => [c.path, c.options] as const))(
    '`%s` has its row in the command table, naming each of its options',
    (path, options) => {
      const row = rows.find((r) => r.startsWith(`| \`${path} `) || r.startsWith(`| \`${path}\``));
      expect(row).toBeDefined();
      const missing = options.filter((option) => !new RegExp(`${option}(?![a-z-])`).test(row ?? ''));
      expect(missing).toEqual([]);
    },
  );

  it('names every global option', () => {
    const globals = program.options.map((o) => o.long).filter((l) => l !== undefined);
    expect(globals).toEqual(expect.arrayContaining(['--json', '--quiet', '--context', '--version']));
    expect(globals.filter((option) => !new RegExp(`\`[^\`]*${option}(?![a-z-])`).test(markdown))).toEqual([]);
  });

  it('documents no command the CLI does not have', () => {
    const paths = new Set(leafCommands(program).map((c) => c.path));
    const documented = rows.map((r) => {
      const words = (/^\| `([^`]*)`/.exec(r)?.[1] ?? '').split(' ');
      // The longest prefix of the cell that is a command: `domains add --domain ID …` is `domains add`.
      return words.map((_, i) => words.slice(0, words.length - i).join(' ')).find((p) => paths.has(p)) ?? r;
    });
    expect(documented.filter((d) => !paths.has(d))).toEqual([]);
  });
});
