import type { Caller, DirectoryUser } from '@writeback/contracts';
import { NewPassword } from '@writeback/contracts';
import { Secret } from '@writeback/sealing';
import { Config, Resources, Schemas, type Types } from 'scimmy';
import { scimError } from './scim-errors';
import type { ScimSubject, ScimUsers } from './scim-users';

export const SCIM_BASE_PATH = '/scim/v2';

/** What one request hands SCIMMY's handlers (SCIMMY's `ctx`): its handlers are process-wide. */
export interface ScimContext {
  users: ScimUsers;
  caller: Caller;
  method: 'GET' | 'PUT' | 'PATCH';
  /** The user the egress found, for the ingress of the same PATCH. */
  subject?: ScimSubject;
}

/** The attributes of the core User schema that Writeback serves (ADR 0023 §3); `/Schemas` lists only these. */
const SERVED = new Set(['schemas', 'id', 'meta', 'userName', 'name', 'displayName', 'active', 'password', 'emails']);

/** A User as SCIMMY's handlers hand it over: without `schemas` and `meta`, which SCIMMY adds. */
type UserResource = Omit<Schemas.User, Types.Resource.ShadowAttributes>;

/** The SCIM form of a user: never its password, which the schema returns never anyway. */
export function scimUserOf(subject: ScimSubject): UserResource {
  const user: DirectoryUser | null = subject.found;
  const name = user && {
    ...(user.givenName ? { givenName: user.givenName } : {}),
    ...(user.familyName ? { familyName: user.familyName } : {}),
    ...(user.displayName ? { formatted: user.displayName } : {}),
  };
  const resource = {
    id: subject.objectGuid,
    userName: subject.userPrincipalName,
    ...(name && Object.keys(name).length > 0 ? { name } : {}),
    ...(user?.displayName ? { displayName: user.displayName } : {}),
    ...(user ? { active: user.enabled } : {}),
    ...(user?.mail ? { emails: [{ value: user.mail, type: 'work', primary: true }] } : {}),
  };
  return resource;
}

/** A value's JSON with sorted keys and without what a client may not change or SCIMMY adds. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([key, v]) => v !== undefined && !['password', 'meta', 'schemas', 'id'].includes(key))
    .sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(entries.map(([key, v]) => [key, comparable(v)]));
}

function subjectOf(subject: ScimSubject | null, id: string | undefined): ScimSubject {
  if (!subject) throw scimError(404, null, `Resource ${id ?? ''} not found`);
  return subject;
}

export const ONLY_USERNAME_FILTER = 'only the filter userName eq "<value>" is supported';

/**
 * The value of a filter's `userName eq "…"` comparison (its first expression), or undefined
 * when it is anything else: the one filter a lookup may carry.
 */
export function userNameOf(expressions: readonly unknown[] | undefined): string | undefined {
  const [expression] = expressions ?? [];
  const [[attribute, comparison] = []] = Object.entries((expression ?? {}) as Record<string, unknown>);
  if (attribute?.toLowerCase() !== 'username' || !Array.isArray(comparison)) return undefined;
  const [operator, value] = comparison as unknown[];
  return operator === 'eq' && typeof value === 'string' ? value : undefined;
}

async function egress(resource: Resources.User, ctx: ScimContext): Promise<UserResource | UserResource[]> {
  if (resource.id) {
    ctx.subject = subjectOf(await ctx.users.byId(resource.id), resource.id);
    return scimUserOf(ctx.subject);
  }
  const userName = userNameOf(resource.filter);
  // The controller has checked the filter already; SCIMMY's parse of it is checked again here.
  if (userName === undefined) throw scimError(400, 'invalidFilter', ONLY_USERNAME_FILTER);
  const subject = await ctx.users.byUserName(userName);
  return subject ? [scimUserOf(subject)] : [];
}

/**
 * A PUT or PATCH: a password in it is a push; the rest must be what the user already is. A PUT
 * replaces, and our attributes are read-only, so its other values are ignored (RFC 7644
 * §3.5.1); a PATCH that changes one is refused (`mutability`), whether or not it sets a password.
 */
async function ingress(resource: Resources.User, instance: Schemas.User, ctx: ScimContext): Promise<UserResource> {
  const subject = ctx.subject ?? subjectOf(await ctx.users.byId(resource.id ?? ''), resource.id);
  const current = scimUserOf(subject);
  const { password } = instance as unknown as { password?: unknown };
  if (ctx.method === 'PATCH') {
    const before = JSON.stringify(comparable(new Schemas.User(current, 'in')));
    if (JSON.stringify(comparable(instance)) !== before) {
      throw scimError(400, 'mutability', 'Writeback changes only the password; every other attribute is read-only');
    }
  }
  if (password === undefined) return current;
  if (!NewPassword.safeParse(password).success) {
    throw scimError(
      400,
      'invalidValue',
      'password must be 1 to 256 characters of valid Unicode, without control characters',
    );
  }
  await ctx.users.push(subject, new Secret(password as string), ctx.caller);
  return current;
}

let configured = false;

/**
 * SCIMMY's configuration and handlers are process-wide: set once, and each request passes what
 * is its own as `ctx`.
 */
export function configureScimmy(): void {
  if (configured) return;
  configured = true;
  Config.set({
    patch: true,
    filter: { supported: true, maxResults: 200 },
    changePassword: true,
    bulk: false,
    sort: false,
    etag: false,
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: "A token from the site's issuer with the writeback.scim scope, or a SCIM client's own token",
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
  });
  const definition = Schemas.User.definition;
  // A copy: truncating removes from the list being read.
  for (const name of definition.attributes.map((a) => a.name)) {
    if (!SERVED.has(name)) definition.truncate(name);
  }
  Resources.User.basepath(SCIM_BASE_PATH);
  Resources.User.egress((resource, ctx) => egress(resource, ctx as ScimContext));
  Resources.User.ingress((resource, instance, ctx) => ingress(resource, instance, ctx as ScimContext));
  Resources.declare(Resources.User);
}

/** What `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` serve, as JSON (docs/scim/ holds copies). */
export async function scimDiscoveryDocuments(): Promise<Record<string, unknown>> {
  configureScimmy();
  const [serviceProviderConfig, resourceTypes, schemas] = await Promise.all([
    new Resources.ServiceProviderConfig().read(),
    new Resources.ResourceType().read(),
    new Resources.Schema().read(),
  ]);
  const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
  return {
    ServiceProviderConfig: plain(serviceProviderConfig),
    ResourceTypes: plain(resourceTypes),
    Schemas: plain(schemas),
  };
}
