import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretVolume, waitFor } from '@writeback/testing';
import { ConfigurationError } from '../service-config';
import { SCIM_CLIENTS_ISSUER, ScimClients } from './scim-clients';

const newToken = (): string => randomBytes(32).toString('base64url');
const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');
const clientsJson = (clients: Record<string, string>): string =>
  JSON.stringify(Object.entries(clients).map(([name, token]) => ({ name, sha256: hashOf(token) })));

/** A Secret volume holding `clients.json`, and the path the gate would be given. */
async function clientsVolume(clients: Record<string, string>): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'writeback-scim-clients-'));
  await secretVolume(dir, { 'clients.json': clientsJson(clients) });
  return { dir, file: join(dir, 'clients.json') };
}

describe('ScimClients', () => {
  const okta = newToken();
  const entra = newToken();

  it('names the client whose token it is, and no one for any other token', async () => {
    const { file } = await clientsVolume({ okta, entra });
    const sut = new ScimClients(file);
    await sut.check();

    expect(await sut.callerOf(okta)).toEqual({ subject: 'okta', issuer: SCIM_CLIENTS_ISSUER });
    expect(await sut.callerOf(entra)).toEqual({ subject: 'entra', issuer: SCIM_CLIENTS_ISSUER });
    expect(await sut.callerOf(newToken())).toBeUndefined();
    expect(await sut.callerOf(hashOf(okta))).toBeUndefined();
    expect(await sut.callerOf('')).toBeUndefined();
  });

  it('accepts no static token when no file is set', async () => {
    const sut = new ScimClients(undefined);
    await sut.check();
    expect(await sut.callerOf(okta)).toBeUndefined();
  });

  it("refuses a removed line from the next request after the Secret's update, and accepts an added one", async () => {
    const { dir, file } = await clientsVolume({ okta, entra });
    const sut = new ScimClients(file);
    await sut.check();
    expect(await sut.callerOf(okta)).toBeDefined();

    const added = newToken();
    await secretVolume(dir, { 'clients.json': clientsJson({ entra, added }) });

    expect(await sut.callerOf(okta)).toBeUndefined();
    expect(await sut.callerOf(added)).toEqual({ subject: 'added', issuer: SCIM_CLIENTS_ISSUER });
    expect(await sut.callerOf(entra)).toBeDefined();
  });

  it('follows a file rewritten in place, however soon', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writeback-scim-clients-'));
    const file = join(dir, 'clients.json');
    await writeFile(file, clientsJson({ okta, entra }));
    const sut = new ScimClients(file);
    expect(await sut.callerOf(okta)).toBeDefined();

    // Same size, same second: only the content tells.
    const other = newToken();
    await writeFile(file, clientsJson({ okta: other, entra }));

    expect(await sut.callerOf(okta)).toBeUndefined();
    expect(await sut.callerOf(other)).toBeDefined();
  });

  it.each([
    ['is not JSON', '[{"name": "okta", "sha256": '],
    ['entry 0.sha256: sha256 must be 64 hexadecimal digits', JSON.stringify([{ name: 'okta', sha256: 'abc' }])],
    [
      'entry 1.name: okta is listed twice',
      JSON.stringify([
        { name: 'okta', sha256: hashOf('a') },
        { name: 'okta', sha256: hashOf('b') },
      ]),
    ],
    ['entry 0: Unrecognized key: "token"', JSON.stringify([{ name: 'okta', sha256: hashOf('a'), token: 'plain' }])],
    ['expected a JSON array', JSON.stringify({ name: 'okta', sha256: hashOf('a') })],
  ])('stops the start with an error naming the file and the problem: %s', async (problem, content) => {
    const dir = await mkdtemp(join(tmpdir(), 'writeback-scim-clients-'));
    const file = join(dir, 'clients.json');
    await writeFile(file, content);

    const error = await new ScimClients(file).check().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(`WRITEBACK_SCIM_CLIENTS_FILE ${file}`);
    expect((error as Error).message).toContain(problem);
    expect((error as Error).message).not.toContain(hashOf('a'));
    expect((error as Error).message).not.toContain('plain');
  });

  it('stops the start when the file is missing', async () => {
    await expect(new ScimClients('/nonexistent/clients.json').check()).rejects.toThrow(
      'WRITEBACK_SCIM_CLIENTS_FILE /nonexistent/clients.json cannot be read',
    );
  });

  it('refuses every static token while the file is bad, says so once, and recovers when it is fixed', async () => {
    const { dir, file } = await clientsVolume({ okta });
    const reports: ConfigurationError[] = [];
    const sut = new ScimClients(file, (error) => reports.push(error));
    await sut.check();

    await secretVolume(dir, { 'clients.json': `${clientsJson({ okta })}]` });
    for (let i = 0; i < 3; i++) expect(await sut.callerOf(okta)).toBeUndefined();
    expect(reports.map((e) => e.message)).toEqual([`WRITEBACK_SCIM_CLIENTS_FILE ${file} is not JSON`]);

    await secretVolume(dir, { 'clients.json': clientsJson({ okta }) });
    await waitFor(() => sut.callerOf(okta), { timeoutMs: 5000, description: 'the fixed file to be read' });
  });
});
