import { createHash } from 'node:crypto';
import { buildProgram } from '../main';

/** Runs the CLI in-process and returns what it wrote to stdout and stderr. */
async function runCli(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const written = { stdout: '', stderr: '' };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.stdout += String(chunk);
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    written.stderr += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    await buildProgram({}).parseAsync(args, { from: 'user' });
    return { ...written, exitCode: process.exitCode === undefined ? undefined : Number(process.exitCode) };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = before;
  }
}

describe('writeback scim-token', () => {
  it('prints a fresh 32-byte base64url token on stdout and its clients-file line on stderr', async () => {
    const first = await runCli(['scim-token', '--name', 'okta']);
    const second = await runCli(['scim-token', '--name', 'okta']);

    const token = first.stdout.trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(second.stdout.trim()).not.toBe(token);
    expect(JSON.parse(first.stderr) as unknown).toEqual({
      name: 'okta',
      sha256: createHash('sha256').update(token).digest('hex'),
    });
    expect(first.stderr).not.toContain(token);
    expect([undefined, 0]).toContain(first.exitCode);
  });

  it('refuses a name the clients file would refuse, printing no token', async () => {
    const result = await runCli(['scim-token', '--name', ' ']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
  });
});
