import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Patch,
  PreconditionFailedException,
  Post,
  Put,
  Res,
  UseGuards,
} from '@nestjs/common';
import { DomainConfig, ScimPush, type Caller, type DomainConfigView } from '@writeback/contracts';
import { validatePolicyOverrides } from '@writeback/domain';
import { BearerAuthGuard, CurrentCaller, READER_SCOPES, RequireScope, Scopes, ZodBody } from '@writeback/platform';
import { z } from 'zod';
import { DomainsRepository, DomainVersionConflict } from './domains.repository';
import { ExecutorTopics } from './executor-topics';

/**
 * The seed's "On-premises integration" check boxes, and what a SCIM push is (ADR 0023), changed
 * one or more at a time.
 */
export const DomainSwitches = z
  .object({
    writebackEnabled: z.boolean(),
    engineOwnsDomain: z.boolean(),
    allowUnlockWithoutReset: z.boolean(),
    scimPush: ScimPush,
  })
  .partial()
  .strict()
  .refine((s) => Object.keys(s).length > 0, 'name at least one switch');
type DomainSwitches = z.infer<typeof DomainSwitches>;

/** Overrides naming unknown rules, or widening without `allowWidening`, are refused outright. */
function checkOverrides(body: DomainConfig): void {
  const problems = validatePolicyOverrides(body.policy);
  if (problems.length > 0) {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: 'policy overrides are invalid',
      issues: problems.map((message) => ({ path: 'policy', message })),
    });
  }
}

/** The fields holding NUL, which PostgreSQL's text and jsonb cannot store. */
function nulPaths(value: unknown, path: readonly string[] = []): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path.join('.')] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nulPaths(item, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => nulPaths(item, [...path, key]));
  }
  return [];
}

/** A body the database cannot store is the caller's mistake (400), not the service's (500). */
function checkStorable(body: DomainConfig): void {
  const paths = nulPaths(body);
  if (paths.length > 0) {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: 'request does not match the API contract',
      issues: paths.map((path) => ({ path, message: 'must not contain NUL characters' })),
    });
  }
}

interface HeaderSink {
  setHeader(name: string, value: string): void;
}

/**
 * `If-Match: "<version>"`, the version the caller read (the ETag of GET /v1/domains/:id).
 * Optional: without it the change applies to whatever version is stored.
 */
function expectedVersionOf(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined) return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(ifMatch);
  if (!match) {
    throw new BadRequestException(`If-Match must be the domain version in quotes, e.g. "3"; got ${ifMatch}`);
  }
  return Number(match[1]);
}

const etagOf = (d: DomainConfigView): string => `"${d.version}"`;

/** Saves, answering 412 (RFC 9110) when the stored version is not the one the caller read. */
async function saving(save: () => Promise<DomainConfigView>, response: HeaderSink): Promise<DomainConfigView> {
  try {
    const saved = await save();
    response.setHeader('ETag', etagOf(saved));
    return saved;
  } catch (error) {
    if (error instanceof DomainVersionConflict) {
      throw new PreconditionFailedException({
        statusCode: 412,
        error: 'Precondition Failed',
        message: error.message,
        expectedVersion: error.expectedVersion,
        currentVersion: error.currentVersion,
      });
    }
    throw error;
  }
}

/**
 * Reads need a reader (an auditor, an operator, or the gate's and executors' own token);
 * every change needs an operator.
 */
@Controller('v1/domains')
@UseGuards(BearerAuthGuard)
@RequireScope(...READER_SCOPES)
export class DomainsController {
  constructor(
    private readonly domains: DomainsRepository,
    private readonly executorTopics: ExecutorTopics,
  ) {}

  @Get()
  async list(): Promise<{ items: DomainConfigView[] }> {
    return { items: await this.domains.list() };
  }

  @Get(':id')
  async get(@Param('id') id: string, @Res({ passthrough: true }) response: HeaderSink): Promise<DomainConfigView> {
    const found = await this.domains.get(id);
    if (!found) throw new NotFoundException(`domain ${id} is not configured`);
    response.setHeader('ETag', etagOf(found));
    return found;
  }

  @Post()
  @RequireScope(Scopes.operator)
  async create(
    @Body(new ZodBody(DomainConfig)) body: DomainConfig,
    @CurrentCaller() caller: Caller,
  ): Promise<DomainConfigView> {
    checkStorable(body);
    checkOverrides(body);
    const exists = (): ConflictException => new ConflictException(`domain ${body.id} already exists`);
    if (await this.domains.get(body.id)) throw exists();
    await this.executorTopics.ensure(body.id);
    return this.domains.save(
      body.id,
      (current) => {
        if (current) throw exists();
        return body;
      },
      caller,
    );
  }

  @Put(':id')
  @RequireScope(Scopes.operator)
  async replace(
    @Param('id') id: string,
    @Body(new ZodBody(DomainConfig)) body: DomainConfig,
    @CurrentCaller() caller: Caller,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<DomainConfigView> {
    const expectedVersion = expectedVersionOf(ifMatch);
    if (body.id !== id) throw new ConflictException('the body id must match the path');
    checkStorable(body);
    checkOverrides(body);
    return saving(() => this.domains.save(id, () => body, caller, expectedVersion), response);
  }

  /**
   * The seed's clean-up steps: all three off stops this engine's writeback for the domain;
   * only `engineOwnsDomain: false` hands the domain to another engine running side by side.
   */
  @Patch(':id/switches')
  @RequireScope(Scopes.operator)
  async switches(
    @Param('id') id: string,
    @Body(new ZodBody(DomainSwitches)) body: DomainSwitches,
    @CurrentCaller() caller: Caller,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<DomainConfigView> {
    const expectedVersion = expectedVersionOf(ifMatch);
    if (!(await this.domains.get(id))) throw new NotFoundException(`domain ${id} is not configured`);
    return saving(
      () =>
        this.domains.save(
          id,
          (current) => {
            if (!current) throw new NotFoundException(`domain ${id} is not configured`);
            return { ...current, ...body };
          },
          caller,
          expectedVersion,
        ),
      response,
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope(Scopes.operator)
  async remove(@Param('id') id: string, @CurrentCaller() caller: Caller): Promise<void> {
    if (!(await this.domains.remove(id, caller))) throw new NotFoundException(`domain ${id} is not configured`);
  }
}
