import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import { DomainConfig, type Caller, type DomainConfigView } from '@writeback/contracts';
import { validatePolicyOverrides } from '@writeback/domain';
import { BearerAuthGuard, CurrentCaller, RequireScope, ZodBody } from '@writeback/platform';
import { z } from 'zod';
import { DomainsRepository } from './domains.repository';

/** The seed's "On-premises integration" check boxes, changed one or more at a time. */
export const DomainSwitches = z
  .object({
    writebackEnabled: z.boolean(),
    engineOwnsDomain: z.boolean(),
    allowUnlockWithoutReset: z.boolean(),
  })
  .partial()
  .strict()
  .refine((s) => Object.keys(s).length > 0, 'name at least one switch');
type DomainSwitches = z.infer<typeof DomainSwitches>;

const OPERATOR_SCOPE = 'writeback.operator';

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

/** Reads are open to the services that follow configuration; every change needs an operator. */
@Controller('v1/domains')
export class DomainsController {
  constructor(private readonly domains: DomainsRepository) {}

  @Get()
  async list(): Promise<{ items: DomainConfigView[] }> {
    return { items: await this.domains.list() };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<DomainConfigView> {
    const found = await this.domains.get(id);
    if (!found) throw new NotFoundException(`domain ${id} is not configured`);
    return found;
  }

  @Post()
  @UseGuards(BearerAuthGuard)
  @RequireScope(OPERATOR_SCOPE)
  async create(
    @Body(new ZodBody(DomainConfig)) body: DomainConfig,
    @CurrentCaller() caller: Caller,
  ): Promise<DomainConfigView> {
    checkOverrides(body);
    if (await this.domains.get(body.id)) throw new ConflictException(`domain ${body.id} already exists`);
    return this.domains.save(body, caller);
  }

  @Put(':id')
  @UseGuards(BearerAuthGuard)
  @RequireScope(OPERATOR_SCOPE)
  async replace(
    @Param('id') id: string,
    @Body(new ZodBody(DomainConfig)) body: DomainConfig,
    @CurrentCaller() caller: Caller,
  ): Promise<DomainConfigView> {
    if (body.id !== id) throw new ConflictException('the body id must match the path');
    checkOverrides(body);
    return this.domains.save(body, caller);
  }

  /**
   * The seed's clean-up steps: all three off stops this engine's writeback for the domain;
   * only `engineOwnsDomain: false` hands the domain to another engine running side by side.
   */
  @Patch(':id/switches')
  @UseGuards(BearerAuthGuard)
  @RequireScope(OPERATOR_SCOPE)
  async switches(
    @Param('id') id: string,
    @Body(new ZodBody(DomainSwitches)) body: DomainSwitches,
    @CurrentCaller() caller: Caller,
  ): Promise<DomainConfigView> {
    const current = await this.domains.get(id);
    if (!current) throw new NotFoundException(`domain ${id} is not configured`);
    const { keyId: _keyId, version: _version, createdAt: _created, updatedAt: _updated, ...config } = current;
    return this.domains.save({ ...config, ...body }, caller);
  }

  @Delete(':id')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  @RequireScope(OPERATOR_SCOPE)
  async remove(@Param('id') id: string, @CurrentCaller() caller: Caller): Promise<void> {
    if (!(await this.domains.remove(id, caller))) throw new NotFoundException(`domain ${id} is not configured`);
  }
}
