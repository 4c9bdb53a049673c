import { CHUNK_FIELDS, LEAK_FIELDS, MAX_CHUNKS, TOP_LEVEL_FIELDS, type FieldSpec } from './config-fields.js';

// Builds the JSON Schema of chunks.config.json from the same field specs the validator uses.
// `npm run gen:schema` writes it to schema/; a test fails when the committed copy is stale.

type JsonSchema = Record<string, unknown>;

function fieldSchema(spec: FieldSpec): JsonSchema {
  const description = spec.description;
  switch (spec.kind) {
    case 'string':
      return {
        type: 'string',
        minLength: 1,
        ...(spec.maxLength === undefined ? {} : { maxLength: spec.maxLength }),
        ...(spec.pattern ? { pattern: spec.pattern.source } : {}),
        description,
      };
    case 'string-array':
      return { type: 'array', items: { type: 'string', minLength: 1 }, ...(spec.minItems ? { minItems: spec.minItems } : {}), description };
    case 'integer':
      return spec.allowAuto
        ? { oneOf: [{ type: 'integer', minimum: spec.min, maximum: spec.max }, { const: 'auto' }], description }
        : { type: 'integer', minimum: spec.min, maximum: spec.max, description };
    case 'boolean':
      return { type: 'boolean', description };
    case 'enum':
      return { enum: [...spec.values], description };
    case 'duration':
      return { type: 'string', pattern: '^\\s*(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+\\s*$', examples: ['90s', '30m', '1h30m'], description };
    case 'size':
      return {
        type: 'string',
        pattern: spec.allowPercent ? '^\\s*\\d+(?:\\.\\d+)?\\s*(?:%|[A-Za-z]+)\\s*$' : '^\\s*\\d+(?:\\.\\d+)?\\s*[A-Za-z]+\\s*$',
        examples: spec.allowPercent ? ['4GB', '512MiB', '60%'] : ['4GB', '512MiB'],
        description,
      };
    case 'interval':
      return { oneOf: [{ type: 'number', minimum: 10, maximum: 60_000 }, { type: 'string' }], examples: ['500ms', '0.2s', 250], description };
    case 'leak':
      return {
        type: 'object',
        additionalProperties: false,
        properties: {
          maxGrowthPercent: { type: 'number', exclusiveMinimum: 0, description: LEAK_FIELDS.maxGrowthPercent },
          maxSlope: { type: 'string', pattern: '/s$', examples: ['1MB/s'], description: LEAK_FIELDS.maxSlope },
          warmup: { type: 'string', examples: ['5s'], description: LEAK_FIELDS.warmup },
        },
        description,
      };
    case 'env':
      return {
        type: 'object',
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        additionalProperties: { type: 'string' },
        description,
      };
  }
}

function fieldsSchema(specs: Record<string, FieldSpec>, omit: readonly string[] = []): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(specs)
      .filter(([name]) => !omit.includes(name))
      .map(([name, spec]) => [name, fieldSchema(spec)]),
  );
}

/** The JSON Schema (draft 2020-12) of chunks.config.json. */
export function buildConfigSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'run-chunks configuration (chunks.config.json)',
    type: 'object',
    additionalProperties: false,
    required: ['chunks'],
    properties: {
      ...fieldsSchema(TOP_LEVEL_FIELDS),
      defaults: {
        type: 'object',
        additionalProperties: false,
        properties: fieldsSchema(CHUNK_FIELDS, ['name']),
        description: 'Chunk fields applied to every chunk that does not set them (env maps are merged).',
      },
      chunks: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_CHUNKS,
        items: { type: 'object', additionalProperties: false, required: ['name'], properties: fieldsSchema(CHUNK_FIELDS) },
        description: 'The chunks, run in this order.',
      },
    },
  };
}
