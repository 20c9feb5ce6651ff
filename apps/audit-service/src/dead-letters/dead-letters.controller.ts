import {
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import type { Caller, DeadLetterView } from '@writeback/contracts';
import { BearerAuthGuard, CurrentCaller, RequireScope, Scopes, ZodBody } from '@writeback/platform';
import { RecordPosition } from '../audit/audit.repository';
import { DeadLetterQuery, DeadLettersRepository } from './dead-letters.repository';

/** A dead letter's id; one past PostgreSQL's bigint names no dead letter (a number would lose digits). */
function deadLetterId(raw: string): bigint | undefined {
  if (!/^\d+$/.test(raw)) throw new BadRequestException('a dead letter id is a positive integer');
  return RecordPosition.safeParse(raw).success ? BigInt(raw) : undefined;
}

/**
 * Messages consumers could not accept. Operators only: a dead letter holds the message as it
 * came (an executor command's password stays sealed, but it is still nobody else's business).
 */
@Controller('v1/dead-letters')
@UseGuards(BearerAuthGuard)
@RequireScope(Scopes.operator)
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersRepository) {}

  @Get()
  list(
    @Query(new ZodBody(DeadLetterQuery)) query: DeadLetterQuery,
  ): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
    return this.deadLetters.list(query);
  }

  /** Publishes the original message to its topic again. */
  @Post(':id/replay')
  @HttpCode(200)
  async replay(@Param('id') raw: string, @CurrentCaller() caller: Caller): Promise<DeadLetterView> {
    const id = deadLetterId(raw);
    const replayed = id === undefined ? 'missing' : await this.deadLetters.replay(id, caller.subject);
    if (replayed === 'missing') throw new NotFoundException(`no dead letter ${raw}`);
    if (replayed === 'holds-nul') {
      throw new ConflictException(`dead letter ${raw} holds NUL characters, which no consumer accepts`);
    }
    return replayed;
  }
}
