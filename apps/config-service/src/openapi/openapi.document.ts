import { DomainConfig, DomainConfigView } from '@writeback/contracts';
import { BEARER_SECURITY_SCHEMES, READER_SCOPES, Scopes, tokenRequired } from '@writeback/platform';
import { POLICY_MATRIX } from '@writeback/domain';
import { z } from 'zod';
import { DomainSwitches } from '../domains/domains.controller';

const schema = (type: z.ZodType, io: 'input' | 'output'): Record<string, unknown> =>
  z.toJSONSchema(type, { io, unrepresentable: 'any' });

const json = (description: string, body: Record<string, unknown>): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: body } },
});

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const operator = tokenRequired([Scopes.operator]);
const operatorOnly = operator.responses;
const reader = tokenRequired(READER_SCOPES);
const invalid = { '400': { description: 'The body is invalid; `issues` names each field and why.' } };
// Express' JSON parser takes 100 kB, less than the longest fields allow once escaped.
const tooLarge = { '413': { description: 'The body is larger than the API takes (100 kB).' } };
const notFound = { '404': { description: 'No such domain.' } };
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'The domain version the change was made from, in quotes (`"3"`; the ETag of GET /v1/domains/{id}). The change is refused with 412 unless it is the stored version, so a change made in between is never undone. Without it the change applies to the stored version, whatever it is.',
  schema: { type: 'string', pattern: '^(W/)?"[0-9]+"$' },
};
const etag = {
  ETag: { description: 'The domain version, in quotes: send it back as If-Match.', schema: { type: 'string' } },
};
const withEtag = (description: string, body: Record<string, unknown>): Record<string, unknown> => ({
  ...json(description, body),
  headers: etag,
});
const versionConflict = {
  '412': {
    description:
      'If-Match names another version than the stored one: nothing changed. `message` says so; `expectedVersion` and `currentVersion` (null when unknown) give both.',
  },
};

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };

/**
 * The domain body with the matrix's rule ids spelled out: `refuse` names rules that allow,
 * `allow` rules that refuse, and only with `allowWidening` (validatePolicyOverrides' rules, which
 * the contract cannot know: the matrix lives in the domain library).
 */
function withPolicyRules(body: Schema): Schema {
  const ruleIds = (effect: 'allow' | 'refuse'): string[] =>
    POLICY_MATRIX.rules.filter((rule) => rule.effect.type === effect).map((rule) => rule.id);
  const policy = body.properties?.['policy'];
  const refuse = policy?.properties?.['refuse']?.items;
  const allow = policy?.properties?.['allow']?.items;
  if (!policy || !refuse || !allow) throw new Error('DomainConfig has no policy.refuse/allow to document');
  refuse['enum'] = ruleIds('allow');
  allow['enum'] = ruleIds('refuse');
  policy['if'] = { properties: { allow: { minItems: 1 } }, required: ['allow'] };
  policy['then'] = { properties: { allowWidening: { const: true } }, required: ['allowWidening'] };
  return body;
}

/**
 * config-service's OpenAPI document, its bodies taken from the zod schemas that validate
 * them. Served at `GET /openapi.json`; `docs/openapi/config-service.json` is a copy a test
 * keeps equal.
 */
export function buildOpenApiDocument(): Record<string, unknown> {
  const view = schema(DomainConfigView, 'output');
  const body = withPolicyRules(schema(DomainConfig, 'input'));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Writeback config-service',
      version: '1',
      description:
        'Per-domain configuration: LDAPS endpoints, service account (as a secret reference), the executor public key, the switches, policy overrides and scope. Every change is published as DomainConfigurationChanged and audited.',
    },
    paths: {
      '/v1/domains': {
        get: {
          operationId: 'listDomains',
          summary: 'Every configured domain (auditors and operators)',
          security: reader.security,
          responses: {
            ...reader.responses,
            '200': json('The domains, by id.', {
              type: 'object',
              properties: { items: { type: 'array', items: view } },
            }),
          },
        },
        post: {
          operationId: 'addDomain',
          summary: 'Add a domain (operators)',
          security: operator.security,
          requestBody: { required: true, content: { 'application/json': { schema: body } } },
          responses: {
            '201': json('The domain as stored.', view),
            ...invalid,
            ...tooLarge,
            ...operatorOnly,
            '409': { description: 'A domain with that id exists.' },
          },
        },
      },
      '/v1/domains/{id}': {
        get: {
          operationId: 'getDomain',
          summary: 'One domain (auditors and operators)',
          security: reader.security,
          parameters: [idParameter],
          responses: { '200': withEtag('The domain.', view), ...reader.responses, ...notFound },
        },
        put: {
          operationId: 'replaceDomain',
          summary: 'Create or replace a domain (operators)',
          security: operator.security,
          parameters: [idParameter, ifMatch],
          requestBody: { required: true, content: { 'application/json': { schema: body } } },
          responses: {
            '200': withEtag('The domain as stored.', view),
            '400': { description: 'The body or If-Match is invalid; `issues` names each field and why.' },
            ...tooLarge,
            ...operatorOnly,
            '409': { description: 'The body id differs from the path.' },
            ...versionConflict,
          },
        },
        delete: {
          operationId: 'removeDomain',
          summary: 'Remove a domain (operators); its requests are refused from then on',
          security: operator.security,
          parameters: [idParameter],
          responses: { '204': { description: 'Removed.' }, ...operatorOnly, ...notFound },
        },
      },
      '/v1/domains/{id}/switches': {
        patch: {
          operationId: 'setDomainSwitches',
          summary: 'Change one or more switches (operators)',
          security: operator.security,
          parameters: [idParameter, ifMatch],
          requestBody: { required: true, content: { 'application/json': { schema: schema(DomainSwitches, 'input') } } },
          responses: {
            '200': withEtag('The domain as stored.', view),
            '400': { description: 'The body or If-Match is invalid; `issues` names each field and why.' },
            ...tooLarge,
            ...operatorOnly,
            ...notFound,
            ...versionConflict,
          },
        },
      },
    },
    components: { securitySchemes: BEARER_SECURITY_SCHEMES },
  };
}
