import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Controller, Get, Module, UseGuards, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@writeback/observability';
import { secretVolume, startTestIssuer, type TestIssuer } from '@writeback/testing';
import { LOGGER, SERVICE_SETTINGS } from '../tokens';
import { AuthModule, BearerAuthGuard, CurrentCaller, Scopes } from './bearer-auth.guard';
import { SCIM_ERROR_SCHEMA, ScimAuthGuard, ScimAuthModule } from './scim-auth.guard';
import type { Caller } from './token-verifier';

@Controller('scim/v2')
@UseGuards(ScimAuthGuard)
class ScimProbeController {
  @Get('Users')
  users(@CurrentCaller() caller: Caller): Caller {
    return caller;
  }
}

@Controller('v1')
@UseGuards(BearerAuthGuard)
class BearerProbeController {
  @Get('operations')
  operations(@CurrentCaller() caller: Caller): Caller {
    return caller;
  }
}

const newToken = (): string => randomBytes(32).toString('base64url');
const clientsJson = (clients: Record<string, string>): string =>
  JSON.stringify(
    Object.entries(clients).map(([name, token]) => ({
      name,
      sha256: createHash('sha256').update(token).digest('hex'),
    })),
  );

/** Everything the app logs, through the service logger and Nest's own. */
class LogLines extends Writable implements LoggerService {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(chunk.toString());
    done();
  }
  log(...parts: unknown[]): void {
    this.lines.push(JSON.stringify(parts));
  }
  error(...parts: unknown[]): void {
    this.lines.push(JSON.stringify(parts, (_key, value: unknown) => (value instanceof Error ? value.stack : value)));
  }
  warn(...parts: unknown[]): void {
    this.lines.push(JSON.stringify(parts));
  }
}

interface Gate {
  app: INestApplication;
  url: string;
  logs: LogLines;
}

/** The guards in a Nest app as the gate runs them: AuthModule, the gate's settings and logger. */
async function startGate(env: Record<string, string>, clientsFile: string | undefined): Promise<Gate> {
  const logs = new LogLines();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  @Module({
    imports: [
      {
        module: class PlatformProbe {},
        global: true,
        providers: [
          { provide: LOGGER, useValue: createLogger('policy-gate', logs) },
          { provide: SERVICE_SETTINGS, useValue: { WRITEBACK_SCIM_CLIENTS_FILE: clientsFile } },
        ],
        exports: [LOGGER, SERVICE_SETTINGS],
      },
      AuthModule,
      ScimAuthModule,
    ],
    controllers: [ScimProbeController, BearerProbeController],
  })
  class GateProbe {}
  try {
    const app = await NestFactory.create(GateProbe, { logger: logs });
    await app.listen(0, '127.0.0.1');
    return { app, url: await app.getUrl(), logs };
  } finally {
    process.env = saved;
  }
}

const get = (url: string, token?: string): Promise<Response> =>
  fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe('ScimAuthGuard', () => {
  const okta = newToken();
  const entra = newToken();
  let issuer: TestIssuer;
  let dir: string;
  let gate: Gate;

  beforeAll(async () => {
    const work = await mkdtemp(join(tmpdir(), 'writeback-scim-auth-'));
    issuer = await startTestIssuer(work);
    dir = await mkdtemp(join(tmpdir(), 'writeback-scim-clients-'));
    await secretVolume(dir, { 'clients.json': clientsJson({ okta, entra }) });
    gate = await startGate(issuer.env, join(dir, 'clients.json'));
  });

  afterAll(() => gate.app.close());

  it("takes a static token's client as the caller", async () => {
    const response = await get(`${gate.url}/scim/v2/Users`, okta);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ subject: 'okta', issuer: 'writeback:scim-clients' });
  });

  it('takes a JWT with scope writeback.scim, its sub and iss the caller', async () => {
    const response = await get(`${gate.url}/scim/v2/Users`, await issuer.token('okta-app', { scope: Scopes.scim }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ subject: 'okta-app', issuer: issuer.issuer });
  });

  it.each([
    ['no token', undefined, 'a bearer token is required'],
    ['a token no client has', newToken(), 'invalid token'],
    ['a JWT from another audience', 'jwt:other-audience', 'invalid token'],
  ])('answers %s with a SCIM 401 and WWW-Authenticate: Bearer', async (_case, sent, detail) => {
    const token =
      sent === 'jwt:other-audience' ? await issuer.token('x', { scope: Scopes.scim, audience: 'other' }) : sent;
    const response = await get(`${gate.url}/scim/v2/Users`, token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['detail', 'schemas', 'status']);
    expect(body).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '401' });
    expect(body['detail']).toContain(detail);
  });

  it('answers a JWT without scope writeback.scim with a SCIM 403', async () => {
    const response = await get(`${gate.url}/scim/v2/Users`, await issuer.token('portal', { scope: Scopes.operator }));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toEqual({
      schemas: [SCIM_ERROR_SCHEMA],
      status: '403',
      detail: 'the token lacks scope writeback.scim',
    });
  });

  it('refuses a static token everywhere else: BearerAuthGuard knows nothing of it', async () => {
    expect((await get(`${gate.url}/v1/operations`, okta)).status).toBe(401);
    expect((await get(`${gate.url}/v1/operations`, await issuer.token('portal'))).status).toBe(200);
  });

  it('refuses a removed client from the first request after the Secret changes', async () => {
    expect((await get(`${gate.url}/scim/v2/Users`, entra)).status).toBe(200);
    await secretVolume(dir, { 'clients.json': clientsJson({ okta }) });

    expect((await get(`${gate.url}/scim/v2/Users`, entra)).status).toBe(401);
    expect((await get(`${gate.url}/scim/v2/Users`, okta)).status).toBe(200);
  });

  it('logs a file that turns bad by its name, and never a token or a hash', async () => {
    await secretVolume(dir, { 'clients.json': 'not json' });
    expect((await get(`${gate.url}/scim/v2/Users`, okta)).status).toBe(401);
    await secretVolume(dir, { 'clients.json': clientsJson({ okta, entra }) });
    expect((await get(`${gate.url}/scim/v2/Users`, okta)).status).toBe(200);

    const logged = gate.logs.lines.join('\n');
    expect(logged).toContain(`WRITEBACK_SCIM_CLIENTS_FILE ${join(dir, 'clients.json')} is not JSON`);
    for (const secret of [okta, entra, clientsJson({ okta, entra })]) expect(logged).not.toContain(secret);
    expect(logged).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('ScimAuthGuard with authentication off', () => {
  it('lets every request through as the anonymous caller, as BearerAuthGuard does', async () => {
    const gate = await startGate({ WRITEBACK_AUTH_MODE: 'none' }, undefined);
    try {
      for (const token of [undefined, newToken()]) {
        const response = await get(`${gate.url}/scim/v2/Users`, token);
        expect(await response.json()).toEqual({ subject: 'anonymous', issuer: null });
      }
    } finally {
      await gate.app.close();
    }
  });
});
