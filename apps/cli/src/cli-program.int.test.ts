import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { repositoryRoot } from '@writeback/supervisor';
import { buildProgram } from './main';

const run = promisify(execFile);
const main = join(repositoryRoot(), 'apps/cli/dist/main.js');
const version = (
  JSON.parse(readFileSync(join(repositoryRoot(), 'apps/cli/package.json'), 'utf8')) as { version: string }
).version;

/** A directory with `writeback` on it, as an installed CLI is: the built file itself, run by its shebang. */
const binDir = mkdtempSync(join(tmpdir(), 'writeback-bin-'));
symlinkSync(main, join(binDir, 'writeback'));
const PATH = `${binDir}:${process.env['PATH'] ?? ''}`;

async function shell(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(program, args, { env: { PATH, ...options.env }, cwd: options.cwd ?? binDir, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

function leafPaths(program: Command): string[][] {
  const paths: string[][] = [];
  const walk = (command: Command, path: string[]): void => {
    if (command.commands.length === 0) paths.push(path);
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  for (const command of program.commands) walk(command, [command.name()]);
  return paths;
}

function commandAt(program: Command, path: string[]): Command {
  return path.reduce((c, name) => c.commands.find((s) => s.name() === name) as Command, program);
}

describe('the writeback binary', () => {
  it('is built executable, with its shebang, so the bin link and npx can run it', () => {
    expect(statSync(main).mode & 0o111).toBe(0o111);
    expect(readFileSync(main, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('prints the package version with --version and -V', async () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await shell('writeback', ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(await shell('writeback', ['-V'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('runs as `npx writeback` in the checkout', async () => {
    const env = { HOME: process.env['HOME'] ?? tmpdir(), PATH: process.env['PATH'] ?? '' };
    const help = await shell('npx', ['writeback', '--help'], { cwd: repositoryRoot(), env });
    expect(help.stderr).not.toContain('could not determine executable');
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('Usage: writeback');
    expect(await shell('npx', ['writeback', '-V'], { cwd: repositoryRoot(), env })).toMatchObject({
      code: 0,
      stdout: `${version}\n`,
    });
  });

  it('refuses a --scim-push it does not know as bad usage (exit 2), naming the values, before connecting anywhere', async () => {
    const bad = await shell('writeback', ['switches', '--domain', 'corp', '--scim-push', 'on']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'on' is invalid. Allowed choices are off, change, admin-reset.");
    const json = await shell('writeback', ['--json', 'switches', '-d', 'corp', '--scim-push', 'Change']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 2 });
    const help = await shell('writeback', ['switches', '--help']);
    expect(help.stdout).toContain('(choices: "off", "change", "admin-reset")');
  });

  it('shows --json, --quiet and --context in every command help, and the short flags', async () => {
    const help = await shell('writeback', ['keys', 'rotate', '--help']);
    expect(help.stdout).toMatch(/-d, --domain <id>/);
    expect(help.stdout).toMatch(/-j, --json/);
    expect(help.stdout).toMatch(/-q, --quiet/);
    expect(help.stdout).toContain('--context <name>');
    const remove = await shell('writeback', ['domains', 'remove', '--help']);
    expect(remove.stdout).toMatch(/-y, --yes/);
  });
});

describe('writeback completion', () => {
  const program = buildProgram({});

  /** What bash offers for the words typed so far, the last one being completed. */
  async function bashCandidates(words: string[], cwd?: string, env: Record<string, string> = {}): Promise<string[]> {
    const script = `source <(writeback completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_writeback_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = await shell('bash', ['--norc', '--noprofile', '-c', script], { env, ...(cwd ? { cwd } : {}) });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return result.stdout.split('\n').filter(Boolean).sort();
  }

  it('bash: offers commands, subcommands and options from the command tree', async () => {
    expect(await bashCandidates(['writeback', 'dom'])).toEqual(['domains']);
    expect(await bashCandidates(['writeback', ''])).toEqual(program.commands.map((c) => c.name()).sort());
    expect(await bashCandidates(['writeback', '--json', 'domains', ''])).toEqual(
      ['add', 'history', 'list', 'remove', 'set', 'show'].sort(),
    );
    // Commands added later come from the same tree, with their options.
    expect(await bashCandidates(['writeback', 'operations', ''])).toEqual(['get', 'list']);
    expect(await bashCandidates(['writeback', 'audit', ''])).toEqual(['export', 'records', 'verify']);
    expect(await bashCandidates(['writeback', 'domains', 'set', '--'])).toEqual(
      expect.arrayContaining(['--domain', '--tls-ca-file', '--no-tls-ca', '--no-tls-server-name', '--file']),
    );
    expect(await bashCandidates(['writeback', 'audit', 'export', '--f'])).toEqual(['--format']);
    expect(await bashCandidates(['writeback', '-j', 'enable', '-d', 'corp', '--'])).toEqual(
      expect.arrayContaining(['--domain', '--all', '--yes', '--json', '--quiet', '--context', '--help']),
    );
    expect(await bashCandidates(['writeback', '--context', 'prod', 'keys', 'ro'])).toEqual(['rotate']);
    expect(await bashCandidates(['writeback', 'completion', ''])).toEqual(['bash', 'powershell', 'zsh']);
    // A command without subcommands offers its options at once.
    expect(await bashCandidates(['writeback', 'disable', ''])).toEqual(expect.arrayContaining(['--domain', '--all']));
  });

  it('bash: completes a file name after an option that takes a value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-completion-'));
    writeFileSync(join(dir, 'keys-here'), '');
    expect(await bashCandidates(['writeback', 'keys', 'rotate', '--key-dir', 'keys'], dir)).toEqual(['keys-here']);
  });

  it('bash and zsh: offer the context names of the config file after --context and to `context use`', async () => {
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'writeback-xdg-')) };
    for (const name of ['prod', 'lab-2']) {
      expect(
        (await shell('writeback', ['context', 'set', name, '--config-url', 'http://127.0.0.1:1'], { env })).code,
      ).toBe(0);
    }
    expect(await bashCandidates(['writeback', '--context', ''], undefined, env)).toEqual(['lab-2', 'prod']);
    expect(await bashCandidates(['writeback', '-q', 'context', 'use', 'p'], undefined, env)).toEqual(['prod']);
    expect(await bashCandidates(['writeback', '--context', 'prod', 'dom'], undefined, env)).toEqual(['domains']);
    const script = `compdef() { : }; compadd() { shift; print -l -- "$@" }
source <(writeback completion zsh)
words=(writeback context remove ''); CURRENT=4; _writeback`;
    const zsh = await shell('zsh', ['-f', '-c', script], { env });
    expect(zsh.stdout.split('\n').filter(Boolean).sort()).toEqual(['lab-2', 'prod']);
  });

  it('bash: offers every option of every command', async () => {
    for (const path of leafPaths(program)) {
      const offered = await bashCandidates(['writeback', ...path, '--']);
      const options = commandAt(program, path).options.flatMap((o) => (o.long ? [o.long] : []));
      expect({ path, missing: options.filter((o) => !offered.includes(o)) }).toEqual({ path, missing: [] });
    }
  });

  it('zsh: offers the same candidates through compadd', async () => {
    const zsh = async (words: string[]): Promise<string[]> => {
      const script = `compdef() { : }; compadd() { shift; print -l -- "$@" }
source <(writeback completion zsh)
words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}
_writeback`;
      const result = await shell('zsh', ['-f', '-c', script]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      return result.stdout.split('\n').filter(Boolean).sort();
    };
    expect(await zsh(['writeback', ''])).toEqual(program.commands.map((c) => c.name()).sort());
    expect(await zsh(['writeback', '-q', 'context', ''])).toEqual(['list', 'remove', 'set', 'show', 'use']);
    expect(await zsh(['writeback', 'completion', ''])).toEqual(['bash', 'powershell', 'zsh']);
    expect(await zsh(['writeback', 'enable', ''])).toEqual(expect.arrayContaining(['--domain', '--all', '--yes']));
    expect(await zsh(['writeback', 'scope', 'set', '-d', 'corp', '--'])).toEqual(
      expect.arrayContaining(['--ou', '--group', '--filter', '--protected-group', '--clear', '--json']),
    );
  });

  it('zsh: completes when autoloaded from $fpath as _writeback, as docs/cli.md installs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-fpath-'));
    writeFileSync(join(dir, '_writeback'), (await shell('writeback', ['completion', 'zsh'])).stdout);
    const script = `compadd() { shift; print -l -- "$@" }; fpath=(${dir} $fpath); autoload -Uz _writeback
words=(writeback domains ''); CURRENT=3; _writeback`;
    const result = await shell('zsh', ['-f', '-c', script]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'add',
      'history',
      'list',
      'remove',
      'set',
      'show',
    ]);
  });

  it('powershell: generates a completer naming every command and option (no pwsh on this machine to run it)', async () => {
    const { code, stdout } = await shell('writeback', ['completion', 'powershell']);
    expect(code).toBe(0);
    expect(stdout).toContain("Register-ArgumentCompleter -Native -CommandName 'writeback'");
    const optionTable = stdout.split('$options = ')[1]?.split('$valueOptions = ')[0] ?? '';
    for (const path of leafPaths(program)) {
      const options = commandAt(program, path).options.flatMap((o) => (o.long ? [`'${o.long}'`] : []));
      const line = optionTable.split('\n').find((l) => l.trim().startsWith(`'writeback ${path.join(' ')}' = @(`));
      expect(line).toBeDefined();
      for (const option of options) expect(line).toContain(option);
    }
  });

  it('refuses a shell it does not know as bad usage', async () => {
    expect((await shell('writeback', ['completion', 'fish'])).code).toBe(2);
  });
});

describe('writeback context (the config file)', () => {
  const xdg = mkdtempSync(join(tmpdir(), 'writeback-xdg-'));
  const file = join(xdg, 'writeback', 'config.json');
  const cli = (args: string[]) => shell('writeback', args, { env: { XDG_CONFIG_HOME: xdg } });

  it('creates the file for its owner only, with token sources and never a token', async () => {
    const set = await cli(['context', 'set', 'lab', '--config-url', 'http://127.0.0.1:1', '--token-env', 'LAB_TOKEN']);
    expect(set).toMatchObject({ code: 0 });
    expect((await stat(join(xdg, 'writeback'))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      contexts: { lab: { configUrl: 'http://127.0.0.1:1', tokenEnv: 'LAB_TOKEN' } },
    });
    expect((await cli(['context', 'set', 'lab', '--config-url', 'not a url'])).code).toBe(2);
    expect((await cli(['context', 'set', 'x', '--token-env', 'A', '--token-file', 'f'])).code).toBe(2);
    expect((await cli(['context', 'use', 'lab'])).code).toBe(0);
    const list = await cli(['--json', 'context', 'list']);
    expect(JSON.parse(list.stdout)).toMatchObject({
      currentContext: 'lab',
      contexts: [{ name: 'lab', current: true }],
    });
    expect((await cli(['context', 'remove', 'lab'])).code).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ contexts: {}, currentContext: null });
  });

  it('answers a bad config file with exit 2 and the file in the message, and an unknown --context too', async () => {
    await mkdir(join(xdg, 'writeback'), { recursive: true });
    await writeFile(file, '{"contexts": {"prod": {"configUrl": "http://x", "token": "secret"}}}');
    const bad = await cli(['domains', 'list']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(file);
    expect(bad.stderr).toContain('token');
    await writeFile(file, 'not json');
    const json = await cli(['--json', 'enable', '--domain', 'corp']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 2 });
    expect(json.stderr).toContain(`the config file ${file} is not JSON`);
    // A command that connects nowhere still runs.
    expect((await cli(['--version'])).code).toBe(0);
    await writeFile(file, '{"contexts": {}}');
    const unknown = await cli(['--context', 'nope', 'domains', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no context nope');
  });
});
