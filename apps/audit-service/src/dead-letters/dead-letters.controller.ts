import {
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import type { Caller, DeadLetterView } from '@writeback/contracts';
import { BearerAuthGuard, CurrentCaller, RequireScope, Scopes, ZodBody } from '@writeback/platform';
import { DeadLetterQuery, DeadLettersRepository } from './dead-letters.repository';

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
  async replay(@Param('id', ParseIntPipe) id: number, @CurrentCaller() caller: Caller): Promise<DeadLetterView> {
    const replayed = await this.deadLetters.replay(BigInt(id), caller.subject);
    if (replayed === 'missing') throw new NotFoundException(`no dead letter ${id}`);
    if (replayed === 'holds-nul') {
      throw new ConflictException(`dead letter ${id} holds NUL characters, which no consumer accepts`);
    }
    return replayed;
  }
}
