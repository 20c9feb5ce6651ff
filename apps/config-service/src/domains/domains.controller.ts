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
  Post,
  Put,
} from '@nestjs/common';
import { DomainConfig, type DomainConfigView } from '@writeback/contracts';
import { ZodBody } from '@writeback/platform';
import { validatePolicyOverrides } from '@writeback/domain';
import { DomainsRepository } from './domains.repository';

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
  async create(@Body(new ZodBody(DomainConfig)) body: DomainConfig): Promise<DomainConfigView> {
    checkOverrides(body);
    if (await this.domains.get(body.id)) throw new ConflictException(`domain ${body.id} already exists`);
    return this.domains.save(body);
  }

  @Put(':id')
  async replace(
    @Param('id') id: string,
    @Body(new ZodBody(DomainConfig)) body: DomainConfig,
  ): Promise<DomainConfigView> {
    if (body.id !== id) throw new ConflictException('the body id must match the path');
    checkOverrides(body);
    return this.domains.save(body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.domains.remove(id))) throw new NotFoundException(`domain ${id} is not configured`);
  }
}
