import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

@Controller()
export class OpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
