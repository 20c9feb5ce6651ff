import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import {
  CreateOperationRequest,
  OperationQuery,
  type Caller,
  type OperationPage,
  type OperationView,
} from '@writeback/contracts';
import {
  BearerAuthGuard,
  ConfigServiceUnavailable,
  CurrentCaller,
  READER_SCOPES,
  RequireScope,
  ZodBody,
} from '@writeback/platform';
import { Secret } from '@writeback/sealing';
import { awaitOperation } from './await-operation';
import { OperationChanges } from './operation-changes';
import { OperationThrottleGuard } from './operation-throttle.guard';
import { AcceptWritebackHandler } from './handlers/accept-writeback.handler';
import { OperationViews } from './store/operation-views';

const MAX_WAIT_SECONDS = 30;

/** What the document says: a whole number of seconds from 0 to 30, or nothing (answer at once). */
function waitSecondsOf(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const seconds = /^\d{1,2}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds <= MAX_WAIT_SECONDS)) {
    throw new BadRequestException(`waitSeconds must be a whole number from 0 to ${MAX_WAIT_SECONDS}`);
  }
  return seconds;
}

@Controller('v1/operations')
@UseGuards(BearerAuthGuard)
export class OperationsController {
  constructor(
    private readonly accept: AcceptWritebackHandler,
    private readonly views: OperationViews,
    private readonly changes: OperationChanges,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(OperationThrottleGuard)
  async create(
    @Body(new ZodBody(CreateOperationRequest)) body: CreateOperationRequest,
    @CurrentCaller() caller: Caller,
  ): Promise<OperationView> {
    const { newPassword, ...request } = body;
    return this.accept
      .handle(request, caller, newPassword === undefined ? undefined : new Secret(newPassword))
      .catch((error: unknown) => {
        // Nothing was accepted; the caller may try again shortly.
        if (error instanceof ConfigServiceUnavailable) {
          throw new ServiceUnavailableException('domain configuration is unavailable; retry shortly');
        }
        throw error;
      });
  }

  /**
   * Every caller's operations, filtered, newest first: it names users and callers, so readers
   * only (auditors and operators), like the audit trail.
   */
  @Get()
  @RequireScope(...READER_SCOPES)
  async list(@Query(new ZodBody(OperationQuery)) query: OperationQuery): Promise<OperationPage> {
    return this.views.list(query);
  }

  /** `?waitSeconds=N` holds the answer until the operation ends or N seconds (at most 30) pass. */
  @Get(':id')
  async get(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query('waitSeconds') waitSeconds?: string,
  ): Promise<OperationView> {
    const view = await awaitOperation(this.views, this.changes, id, Date.now() + waitSecondsOf(waitSeconds) * 1000);
    if (!view) throw new NotFoundException(`operation ${id} not found`);
    return view;
  }
}
