import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ObjectGuid, type Caller } from '@writeback/contracts';
import { CurrentCaller, ScimAuthGuard } from '@writeback/platform';
import { Messages, Resources, Schemas, Types } from 'scimmy';
import { OperationThrottleGuard } from '../operations/operation-throttle.guard';
import { scimError, type ScimType } from './scim-errors';
import { ScimExceptionFilter } from './scim-exception.filter';
import { ScimUsers } from './scim-users';
import { configureScimmy, ONLY_USERNAME_FILTER, scimUserOf, userNameOf, type ScimContext } from './scimmy-setup';

const SCIM_JSON = 'application/scim+json';

interface UserQuery {
  filter?: unknown;
  attributes?: unknown;
  excludedAttributes?: unknown;
  startIndex?: unknown;
  count?: unknown;
}

type PatchMessage = NonNullable<ConstructorParameters<typeof Messages.PatchOp>[0]>;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `attributes` and `excludedAttributes`, the only parameters a single resource takes. */
function projection(query: UserQuery): { attributes?: string; excludedAttributes?: string } {
  const attributes = text(query.attributes);
  const excludedAttributes = text(query.excludedAttributes);
  return { ...(attributes ? { attributes } : {}), ...(excludedAttributes ? { excludedAttributes } : {}) };
}

/** A positive whole number from the query, or the default; anything else is `invalidValue`. */
function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 0)) throw scimError(400, 'invalidValue', `${name} must be a whole number`);
  return number;
}

/** What the request says of where the client reached the gate (through an ingress: its forwarded headers). */
interface Origin {
  protocol: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What a 405 answer sets: the methods the resource takes. */
interface Allowing {
  setHeader(name: string, value: string): void;
}

const header = (request: Origin, name: string): string | undefined => {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim() || undefined;
};

/**
 * `meta.location` as an absolute URI (RFC 7643 §3.1): SCIMMY's base path is process-wide, and
 * the address a client used is known only per request.
 */
function absolute<T>(request: Origin, result: T): T {
  const host = header(request, 'x-forwarded-host') ?? header(request, 'host');
  if (!host) return result;
  const origin = `${header(request, 'x-forwarded-proto') ?? request.protocol}://${host}`;
  const plain = JSON.parse(JSON.stringify(result)) as { Resources?: unknown[] } & Record<string, unknown>;
  for (const resource of [plain, ...(plain.Resources ?? [])] as Array<{ meta?: { location?: unknown } }>) {
    const location = resource.meta?.location;
    if (typeof location === 'string' && location.startsWith('/')) resource.meta!.location = `${origin}${location}`;
  }
  return plain as T;
}

const MALFORMED: Record<Extract<ScimType, 'invalidFilter' | 'invalidSyntax'>, string> = {
  invalidFilter: 'attributes and excludedAttributes must name attributes of the User',
  invalidSyntax: 'the request body is not a valid SCIM message',
};

/**
 * SCIMMY 1.3.5 meets some malformed input with a TypeError instead of its own error
 * (`attributes=9`, a PatchOp whose `schemas` or an operation is null): the request's fault, a
 * 400, not a 500. Errors in our egress and ingress never arrive as one: SCIMMY wraps those.
 */
async function malformed<T>(scimType: keyof typeof MALFORMED, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TypeError) throw scimError(400, scimType, MALFORMED[scimType]);
    throw error;
  }
}

/** The users as SCIMMY serves them, with the request's filter and projection (parsed here). */
function userResource(
  id: string | undefined,
  constraints: ConstructorParameters<typeof Resources.User>[1],
): Resources.User {
  try {
    return new Resources.User(id, constraints);
  } catch (error) {
    if (error instanceof TypeError) throw scimError(400, 'invalidFilter', MALFORMED.invalidFilter);
    throw error;
  }
}

/** A SCIM `id` here is an objectGUID: anything else names no user (and never reaches SCIMMY's filter). */
function userId(id: string): string {
  if (!ObjectGuid.safeParse(id).success) throw scimError(404, null, 'no user has this id');
  return id;
}

/**
 * The one filter a lookup may carry: `userName eq "<value>"`. Checked here, before SCIMMY sees it,
 * so that a filter error never quotes the filter (which may carry anything, a password too).
 */
function userNameFilter(raw: unknown): string {
  if (raw === undefined) {
    throw scimError(400, 'tooMany', 'Writeback does not list the directory: filter by userName eq "<value>"');
  }
  let expressions: unknown[] = [];
  try {
    expressions = typeof raw === 'string' ? [...new Types.Filter(raw)] : [];
  } catch {
    // Its message quotes the filter: replaced below.
  }
  if (expressions.length !== 1 || userNameOf(expressions) === undefined) {
    throw scimError(400, 'invalidFilter', ONLY_USERNAME_FILTER);
  }
  return raw as string;
}

const notProvisioned = (): Error =>
  scimError(501, null, 'Writeback writes passwords back; it does not provision users or groups');

/**
 * SCIM 2.0 (RFC 7644) for a cloud identity service's password push (ADR 0023, docs/scim.md):
 * discovery, a user looked up by `userName` or `id`, and a password set by PUT or PATCH.
 * Nothing else: Writeback writes passwords back; it does not provision users or groups.
 */
@Controller('scim/v2')
@UseFilters(ScimExceptionFilter)
export class ScimController {
  constructor(private readonly users: ScimUsers) {
    configureScimmy();
  }

  @Get('ServiceProviderConfig')
  @Header('Content-Type', SCIM_JSON)
  serviceProviderConfig(): Promise<unknown> {
    return new Resources.ServiceProviderConfig().read();
  }

  @Get(['ResourceTypes', 'ResourceTypes/:id'])
  @Header('Content-Type', SCIM_JSON)
  resourceTypes(@Param('id') id?: string): Promise<unknown> {
    return new Resources.ResourceType(id).read();
  }

  @Get(['Schemas', 'Schemas/:id'])
  @Header('Content-Type', SCIM_JSON)
  schemas(@Param('id') id?: string): Promise<unknown> {
    return new Resources.Schema(id).read();
  }

  @Get('Users')
  @Header('Content-Type', SCIM_JSON)
  @UseGuards(ScimAuthGuard, OperationThrottleGuard)
  async list(@Query() query: UserQuery, @CurrentCaller() caller: Caller, @Req() request: Origin): Promise<unknown> {
    const filter = userNameFilter(query.filter);
    const startIndex = positive(query.startIndex, 'startIndex', 1);
    const count = positive(query.count, 'count', 200);
    const constraints = { filter, ...projection(query), startIndex: Math.max(1, startIndex), count };
    return absolute(request, await userResource(undefined, constraints).read(this.context(caller, 'GET')));
  }

  @Get('Users/:id')
  @Header('Content-Type', SCIM_JSON)
  @UseGuards(ScimAuthGuard, OperationThrottleGuard)
  async read(
    @Param('id') id: string,
    @Query() query: UserQuery,
    @CurrentCaller() caller: Caller,
    @Req() request: Origin,
  ): Promise<unknown> {
    return absolute(request, await userResource(userId(id), projection(query)).read(this.context(caller, 'GET')));
  }

  /** A replace with our attributes read-only: a password in it is a push (RFC 7644 §3.5.1). */
  @Put('Users/:id')
  @Header('Content-Type', SCIM_JSON)
  @UseGuards(ScimAuthGuard, OperationThrottleGuard)
  async replace(
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: UserQuery,
    @CurrentCaller() caller: Caller,
    @Req() request: Origin,
  ): Promise<unknown> {
    const resource = userResource(userId(id), projection(query));
    const written = await malformed('invalidSyntax', () => resource.write(body, this.context(caller, 'PUT')));
    return absolute(request, written);
  }

  /** SCIMMY reads the user, applies the operations, and hands the result to the ingress. */
  @Patch('Users/:id')
  @Header('Content-Type', SCIM_JSON)
  @UseGuards(ScimAuthGuard, OperationThrottleGuard)
  async patch(
    @Param('id') id: string,
    @Body() body: unknown,
    @Query() query: UserQuery,
    @CurrentCaller() caller: Caller,
    @Req() request: Origin,
  ): Promise<unknown> {
    const resource = userResource(userId(id), projection(query));
    const message = body as PatchMessage;
    const { Operations: operations } = await malformed('invalidSyntax', () => new Messages.PatchOp(message));
    // Removing a password is not "no change": it is a change Writeback cannot make.
    if (operations.some((o) => o.op.toLowerCase() === 'remove' && o.path?.trim().toLowerCase() === 'password')) {
      throw scimError(400, 'mutability', 'a password cannot be removed, only replaced');
    }
    const context = this.context(caller, 'PATCH');
    const patched = await malformed('invalidSyntax', () => resource.patch(message, context));
    // Nothing SCIM shows changed (a password is never shown): answer with the user as it is.
    if (patched) return absolute(request, patched);
    if (!context.subject) throw scimError(404, null, `Resource ${id} not found`);
    const user = new Schemas.User(
      scimUserOf(context.subject),
      'out',
      String(Resources.User.basepath()),
      resource.attributes,
    );
    return absolute(request, user);
  }

  @Post('Users')
  @UseGuards(ScimAuthGuard)
  create(): never {
    throw notProvisioned();
  }

  @Delete('Users/:id')
  @UseGuards(ScimAuthGuard)
  remove(): never {
    throw notProvisioned();
  }

  @All(['Groups', 'Groups/*path', 'Bulk', 'Me', '.search', 'Users/.search'])
  @UseGuards(ScimAuthGuard)
  notServed(): never {
    throw notProvisioned();
  }

  /** Any other method on the users: not a provisioning request, just one the resource does not take. */
  @All('Users')
  @UseGuards(ScimAuthGuard)
  usersTakeNoOtherMethod(@Res({ passthrough: true }) reply: Allowing): never {
    reply.setHeader('Allow', 'GET, HEAD, POST');
    throw scimError(405, null, 'the users take GET, and POST (answered 501)');
  }

  @All('Users/:id')
  @UseGuards(ScimAuthGuard)
  userTakesNoOtherMethod(@Res({ passthrough: true }) reply: Allowing): never {
    reply.setHeader('Allow', 'GET, HEAD, PUT, PATCH, DELETE');
    throw scimError(405, null, 'a user takes GET, PUT and PATCH, and DELETE (answered 501)');
  }

  /** Discovery is read-only (RFC 7644 §4). */
  @All(['ServiceProviderConfig', 'ResourceTypes', 'ResourceTypes/:id', 'Schemas', 'Schemas/:id'])
  discoveryIsReadOnly(): never {
    throw scimError(405, null, 'discovery endpoints take GET only');
  }

  @All('*path')
  @UseGuards(ScimAuthGuard)
  nothingHere(): never {
    throw scimError(404, null, 'no such SCIM endpoint');
  }

  private context(caller: Caller, method: ScimContext['method']): ScimContext {
    return { users: this.users, caller, method };
  }
}
