import { NewPassword } from '@writeback/contracts';
import { Scopes } from '@writeback/platform';
import { z } from 'zod';

/**
 * `/scim/v2` in the gate's OpenAPI document (ADR 0023, docs/scim.md), as `scim.controller.ts`,
 * `scimmy-setup.ts` and `scim-exception.filter.ts` answer it. The SCIM resources themselves are
 * SCIMMY's (RFC 7643); these schemas describe what the gate serves of them.
 */

const SCIM_JSON = 'application/scim+json';
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const scim = (schema: Record<string, unknown>): Record<string, unknown> => ({ [SCIM_JSON]: { schema } });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } } };

const error = (description: string, headers?: Record<string, unknown>): Record<string, unknown> => ({
  description,
  content: scim(ref('ScimError')),
  ...(headers ? { headers } : {}),
});

/** A JWT with the scope, or a SCIM client's static token (WRITEBACK_SCIM_CLIENTS_FILE). */
const SECURITY = [{ bearer: [Scopes.scim] }, { scimClient: [] }];

/** What every route behind `ScimAuthGuard` may answer besides its own statuses. */
const GUARDED = {
  '401': error('Missing or invalid bearer token.'),
  '403': error(`A JWT without the scope ${Scopes.scim}.`),
  '500': error('An internal error; `detail` says no more.'),
};

/** What a route counted by the gate's rate limits may answer too. */
const LIMITED = {
  '429': error(
    'Too many requests from this client, or for this user, in a minute (WRITEBACK_RATE_LIMIT_PER_CALLER, WRITEBACK_RATE_LIMIT_PER_TARGET).',
    retryAfter,
  ),
  '503': error(
    "No answer from the domain's executors in time (WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS), configuration unavailable, or the write not finished in WRITEBACK_SCIM_WAIT_SECONDS (`detail` names the operation).",
    retryAfter,
  ),
};

/** What a push (PUT or PATCH) may answer besides its 200 and 400. */
const PUSHED = {
  '404': error(
    'No user has this id, or the write found none (`TARGET.*`, `AD.USER_NOT_FOUND`, `AD.USER_CHANGED`, ...).',
  ),
  '413': error('The body is larger than 100 kB.'),
  ...GUARDED,
  '403': error(
    `A JWT without the scope ${Scopes.scim}, or the policy refused the push (\`POLICY.*\`, \`AD.PROTECTED_ACCOUNT\`).`,
  ),
  ...LIMITED,
};

const userId = {
  name: 'id',
  in: 'path',
  required: true,
  description: "The user's objectGUID, lowercase; anything else names no user (404).",
  schema: { type: 'string' },
};

const projection = [
  {
    name: 'attributes',
    in: 'query',
    required: false,
    description: 'Attributes to return, comma-separated (RFC 7644 §3.4.2.5).',
    schema: { type: 'string' },
  },
  {
    name: 'excludedAttributes',
    in: 'query',
    required: false,
    description: 'Attributes to leave out, comma-separated.',
    schema: { type: 'string' },
  },
];

const SCHEMAS_LIST = { type: 'array', items: { type: 'string' } };
const NOT_PROVISIONED = error('Writeback writes passwords back; it does not provision users or groups.');

const user = { description: 'The user; never its password.', content: scim(ref('ScimUser')) };

/** A PUT or PATCH body: SCIM's media type, or plain JSON. */
const body = (schema: Record<string, unknown>): Record<string, unknown> => ({
  required: true,
  content: { [SCIM_JSON]: { schema }, 'application/json': { schema } },
});

/** A discovery read: no token, GET only. */
function discovery(operationId: string, summary: string, one: boolean): Record<string, unknown> {
  return {
    description: 'Read-only: other methods are 405, with Allow.',
    get: {
      operationId,
      summary,
      security: [],
      ...(one ? { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] } : {}),
      responses: {
        '200': {
          description: one ? 'The resource.' : 'The resources, as a ListResponse.',
          content: scim({ type: 'object', required: ['schemas'], properties: { schemas: SCHEMAS_LIST } }),
        },
        ...(one ? { '404': error('No such resource.') } : {}),
        '500': error('An internal error.'),
      },
    },
  };
}

export const SCIM_PATHS = {
  '/scim/v2/ServiceProviderConfig': discovery(
    'scimServiceProviderConfig',
    "SCIM's features as served here: patch and changePassword, filter (200 results); no bulk, sort or etag",
    false,
  ),
  '/scim/v2/ResourceTypes': discovery('scimResourceTypes', 'The resource types served: User', false),
  '/scim/v2/ResourceTypes/{id}': discovery('scimResourceType', 'One resource type', true),
  '/scim/v2/Schemas': discovery('scimSchemas', 'The schemas served, with only the attributes Writeback serves', false),
  '/scim/v2/Schemas/{id}': discovery('scimSchema', 'One schema', true),
  '/scim/v2/Users': {
    description: 'Other methods: 405, with Allow.',
    get: {
      operationId: 'scimListUsers',
      summary: 'A user looked up by userName (its UPN); the directory is never listed',
      security: SECURITY,
      parameters: [
        {
          name: 'filter',
          in: 'query',
          // Optional to the protocol, but Writeback never lists the directory: without it, 400 tooMany.
          required: true,
          description: 'Only `userName eq "<value>"`; any other is 400 invalidFilter, none is 400 tooMany.',
          schema: { type: 'string' },
          example: 'userName eq "vera@corp.example.test"',
        },
        ...projection,
        {
          name: 'startIndex',
          in: 'query',
          required: false,
          description: '1-based index of the first result (a whole number; 0 reads as 1).',
          schema: { type: 'string', pattern: '^[0-9]{1,9}$' },
        },
        {
          name: 'count',
          in: 'query',
          required: false,
          description: 'Results per page, a whole number (at most 200 are returned).',
          schema: { type: 'string', pattern: '^[0-9]{1,9}$' },
        },
      ],
      responses: {
        '200': {
          description:
            'The user, or none (`totalResults: 0`) when no SCIM-enabled domain takes the suffix, or the user is unknown, out of scope or privileged.',
          content: scim(ref('ScimListResponse')),
        },
        '400': error(
          'No filter (`tooMany`), another filter (`invalidFilter`), or a bad startIndex or count (`invalidValue`).',
        ),
        ...GUARDED,
        ...LIMITED,
      },
    },
    post: {
      operationId: 'scimCreateUser',
      summary: 'Not served: Writeback does not provision users',
      security: SECURITY,
      responses: { '501': NOT_PROVISIONED, '401': GUARDED['401'], '403': GUARDED['403'] },
    },
  },
  '/scim/v2/Users/{id}': {
    description: 'Other methods: 405, with Allow.',
    parameters: [userId],
    get: {
      operationId: 'scimGetUser',
      summary: 'A user by id',
      security: SECURITY,
      parameters: projection,
      responses: {
        '200': user,
        '400': error('A bad `attributes` or `excludedAttributes`.'),
        '404': error('No user has this id, or it is out of scope or privileged.'),
        ...GUARDED,
        ...LIMITED,
      },
    },
    put: {
      operationId: 'scimReplaceUser',
      summary:
        'Push a password: a PUT carrying `password` sets it; every other attribute is read-only and ignored (RFC 7644 §3.5.1)',
      security: SECURITY,
      parameters: projection,
      requestBody: body(ref('ScimUser')),
      responses: {
        '200': { ...user, description: 'The password is in AD, or the PUT carried none (nothing was written).' },
        '400': error(
          'A password Writeback or AD refuses (`invalidValue`, `detail` with the reason code), or a body that is not a User (`invalidSyntax`, `invalidValue`).',
        ),
        ...PUSHED,
      },
    },
    patch: {
      operationId: 'scimPatchUser',
      summary: 'Push a password: a PatchOp replacing `password`; any other change is 400 mutability',
      security: SECURITY,
      parameters: projection,
      requestBody: body(ref('ScimPatchOp')),
      responses: {
        '200': { ...user, description: 'The password is in AD, or the PatchOp changed nothing.' },
        '400': error(
          'A password refused (`invalidValue`), a change to another attribute or a remove of `password` (`mutability`), a malformed PatchOp (`invalidSyntax`, `invalidPath`, `noTarget`, `invalidValue`).',
        ),
        ...PUSHED,
      },
    },
    delete: {
      operationId: 'scimDeleteUser',
      summary: 'Not served: Writeback does not deprovision users',
      security: SECURITY,
      responses: { '501': NOT_PROVISIONED, '401': GUARDED['401'], '403': GUARDED['403'] },
    },
  },
};

function withoutDialect({ $schema: _, ...schema }: Record<string, unknown>): Record<string, unknown> {
  return schema;
}

const MULTI_VALUED = { type: 'array', items: { type: 'object' } };

export const SCIM_SCHEMAS = {
  ScimUser: {
    type: 'object',
    description:
      'A User of RFC 7643 §4.1, with only the attributes Writeback serves. `password` is taken in a PUT and never returned; the others are read-only.',
    properties: {
      schemas: SCHEMAS_LIST,
      id: { type: 'string', description: "The user's objectGUID, lowercase." },
      userName: { type: 'string', description: "The user's userPrincipalName." },
      name: {
        type: 'object',
        properties: { givenName: { type: 'string' }, familyName: { type: 'string' }, formatted: { type: 'string' } },
      },
      displayName: { type: 'string' },
      active: { type: 'boolean', description: 'The account is not disabled.' },
      emails: MULTI_VALUED,
      password: {
        anyOf: [
          withoutDialect(z.toJSONSchema(NewPassword, { io: 'input' })),
          // RFC 7643 §2.5: null is unassigned, the same as no password (a PUT that writes nothing).
          { type: 'null' },
        ],
        writeOnly: true,
        description: 'The new password: taken in a PUT, sealed at once, never returned.',
      },
      meta: { type: 'object' },
    },
  },
  ScimListResponse: {
    type: 'object',
    required: ['schemas', 'totalResults', 'Resources'],
    properties: {
      schemas: { type: 'array', items: { const: 'urn:ietf:params:scim:api:messages:2.0:ListResponse' } },
      totalResults: { type: 'integer', minimum: 0 },
      startIndex: { type: 'integer', minimum: 1 },
      itemsPerPage: { type: 'integer', minimum: 0 },
      Resources: { type: 'array', items: ref('ScimUser') },
    },
  },
  ScimPatchOp: {
    type: 'object',
    description:
      'RFC 7644 §3.5.2. Only `password` may change: `{"op": "replace", "path": "password", "value": "<new>"}`, or a `value` object with `password`.',
    required: ['schemas', 'Operations'],
    properties: {
      schemas: { type: 'array', items: { const: 'urn:ietf:params:scim:api:messages:2.0:PatchOp' } },
      Operations: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['op'],
          properties: {
            op: { type: 'string', enum: ['add', 'replace', 'remove'] },
            path: { type: 'string' },
            value: {},
          },
        },
      },
    },
  },
  ScimError: {
    type: 'object',
    description: 'RFC 7644 §3.12. `detail` is a fixed text, or `<reason code>: <message> (operation <id>)`.',
    required: ['schemas', 'status', 'detail'],
    properties: {
      schemas: { type: 'array', items: { const: 'urn:ietf:params:scim:api:messages:2.0:Error' } },
      status: { type: 'string', description: 'The HTTP status, as a string.' },
      scimType: { type: 'string' },
      detail: { type: 'string' },
    },
  },
};

export const SCIM_SECURITY_SCHEME = {
  scimClient: {
    type: 'http',
    scheme: 'bearer',
    description:
      "A SCIM client's own static token, listed by its SHA-256 in WRITEBACK_SCIM_CLIENTS_FILE; valid on /scim/v2 only.",
  },
};
