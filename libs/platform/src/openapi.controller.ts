import { Controller, Get, type Type } from '@nestjs/common';

/** A controller serving a service's OpenAPI document (built once) at `GET /openapi.json`. */
export function openApiController(build: () => Record<string, unknown>): Type<unknown> {
  @Controller()
  class OpenApiController {
    private readonly document = build();

    @Get('openapi.json')
    openapi(): Record<string, unknown> {
      return this.document;
    }
  }
  return OpenApiController;
}
