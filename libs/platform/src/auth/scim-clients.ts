import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { fileVersionOf, unchangedSince, type FileVersion } from '../followed-file';
import { ConfigurationError } from '../service-config';
import type { Caller } from './token-verifier';

/** The issuer recorded for a SCIM client that authenticated with a static token (ADR 0023 §6). */
export const SCIM_CLIENTS_ISSUER = 'writeback:scim-clients';

/** One line of WRITEBACK_SCIM_CLIENTS_FILE: a client's name and the SHA-256 of its token, in hex. */
export const ScimClientLine = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(128, 'name is longer than 128 characters'),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hexadecimal digits'),
  })
  .strict();
export type ScimClientLine = z.infer<typeof ScimClientLine>;

const ClientsFile = z
  .array(ScimClientLine, { message: 'expected a JSON array of { "name", "sha256" }' })
  .superRefine((clients, context) => {
    const names = new Set<string>();
    const digests = new Set<string>();
    clients.forEach(({ name, sha256 }, index) => {
      if (names.has(name))
        context.addIssue({ code: 'custom', path: [index, 'name'], message: `${name} is listed twice` });
      if (digests.has(sha256.toLowerCase())) {
        context.addIssue({ code: 'custom', path: [index, 'sha256'], message: 'the same token is listed twice' });
      }
      names.add(name);
      digests.add(sha256.toLowerCase());
    });
  });

interface Client {
  name: string;
  digest: Buffer;
}

/** What was read from the file, and the version of the file it was read from. */
interface Loaded {
  version: FileVersion;
  /** undefined: the file could not be read or parsed, and no client is accepted. */
  content: string | undefined;
  clients: Client[];
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A new static token for a SCIM client (32 random bytes, base64url) and its line for the clients file. */
export function newScimClientToken(name: string): { token: string; line: ScimClientLine } {
  const token = randomBytes(32).toString('base64url');
  return { token, line: ScimClientLine.parse({ name, sha256: sha256(token).toString('hex') }) };
}

/**
 * The SCIM clients' static tokens (ADR 0023 §6), from WRITEBACK_SCIM_CLIENTS_FILE, a mounted
 * Secret: only their SHA-256 is held. The file's version is checked on every use, the way the
 * executor follows its keys (`fileVersionOf`), so a line added or removed counts from the next
 * request on, without a restart. A file that goes missing or turns bad refuses every static
 * token until it is fixed (fail closed), and `report` is told once per bad content.
 */
export class ScimClients {
  private loaded: Loaded | undefined;
  private reported: string | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly report: (error: ConfigurationError) => void = () => undefined,
  ) {}

  /** Reads the file now: a missing or bad one throws a ConfigurationError naming it (for start-up). */
  async check(): Promise<void> {
    if (this.file === undefined) return;
    const version = await fileVersionOf(this.file);
    if (!version) throw this.error('cannot be read');
    this.loaded = await this.read(this.file, version);
  }

  /** The caller `token` is the static token of, or undefined. */
  async callerOf(token: string): Promise<Caller | undefined> {
    const clients = await this.current();
    const digest = sha256(token);
    let name: string | undefined;
    // Every entry is compared, so the time taken tells nothing of which one (or whether one) matched.
    for (const client of clients) if (timingSafeEqual(digest, client.digest)) name = client.name;
    return name === undefined ? undefined : { subject: name, issuer: SCIM_CLIENTS_ISSUER };
  }

  private async current(): Promise<Client[]> {
    if (this.file === undefined) return [];
    const version = await fileVersionOf(this.file);
    if (!version) {
      this.loaded = undefined;
      this.tell(this.error('cannot be read'));
      return [];
    }
    if (this.loaded && unchangedSince(this.loaded.version, version)) return this.loaded.clients;
    try {
      this.loaded = await this.read(this.file, version);
      this.reported = undefined;
      return this.loaded.clients;
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      // Remembered by version too, so a bad file is not parsed again on every request.
      this.loaded = { version, content: undefined, clients: [] };
      this.tell(error);
      return [];
    }
  }

  private async read(file: string, version: FileVersion): Promise<Loaded> {
    const content = await readFile(file, 'utf8').catch(() => {
      throw this.error('cannot be read');
    });
    if (this.loaded?.content === content) return { ...this.loaded, version };
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch {
      // JSON.parse's message quotes the text, which holds the hashes: never repeated.
      throw this.error('is not JSON');
    }
    const parsed = ClientsFile.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) =>
        issue.path.length > 0 ? `entry ${issue.path.join('.')}: ${issue.message}` : issue.message,
      );
      throw this.error(issues.join('; '));
    }
    return {
      version,
      content,
      clients: parsed.data.map(({ name, sha256: hex }) => ({ name, digest: Buffer.from(hex, 'hex') })),
    };
  }

  private error(problem: string): ConfigurationError {
    return new ConfigurationError(`WRITEBACK_SCIM_CLIENTS_FILE ${this.file ?? ''} ${problem}`);
  }

  /** Tells `report` of a problem once, not on every request while it lasts. */
  private tell(error: ConfigurationError): void {
    if (this.reported === error.message) return;
    this.reported = error.message;
    this.report(error);
  }
}
