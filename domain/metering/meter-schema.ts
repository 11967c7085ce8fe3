import { z } from 'zod';
import { propertyPathSchema } from './property-path.ts';
import { MAX_TYPE_LENGTH } from './event-validation.ts';

/**
 * Aggregations a meter can apply to its events (metering/README.md, *Meter*). What each one means is
 * fixed in aggregate.ts; the ClickHouse builders implement the same meaning.
 */
export const AGGREGATIONS = ['count', 'sum', 'max', 'unique_count', 'latest'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Aggregations that read a numeric value from `valueProperty`. */
export const NUMERIC_AGGREGATIONS: readonly Aggregation[] = ['sum', 'max', 'latest'];

export const MAX_FILTERS = 20;
export const MAX_FILTER_VALUES = 100;
export const MAX_GROUP_BY = 10;

export const meterCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must start with a lower-case letter and contain only a-z, 0-9 and _ (at most 63 characters)')
  .meta({ description: 'Stable identifier of the meter, used by plans and usage queries', example: 'llm_tokens' });

/** The same limit ingest applies to an event's `type`, so anything that names an event type accepts every stored one. */
export const eventTypeSchema = z.string().min(1, 'must not be empty').max(MAX_TYPE_LENGTH, `must be at most ${MAX_TYPE_LENGTH} characters`);

// Filter values compare as text (see propertyText); safe integers and booleans are
// accepted for convenience and stored as their text, so no float ever enters a meter.
const filterValue = z
  .union([z.string().max(256), z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), z.boolean()], {
    error: 'must be a string, a safe integer or a boolean',
  })
  .transform((v) => String(v));

const meterFields = {
  code: meterCodeSchema,
  name: z.string().trim().min(1, 'must not be empty').max(200),
  description: z.string().max(2000).optional(),
  eventType: eventTypeSchema.meta({ description: 'The event `type` this meter reads', example: 'llm.completion' }),
  aggregation: z.enum(AGGREGATIONS, { error: `must be one of ${AGGREGATIONS.join(', ')}` }),
  valueProperty: propertyPathSchema
    .optional()
    .meta({ description: 'Path into data of the value; required for sum, max, latest and unique_count' }),
  filters: z
    .record(propertyPathSchema, z.array(filterValue).min(1, 'must list at least one allowed value').max(MAX_FILTER_VALUES))
    .optional()
    .meta({
      description: 'Property path → allowed values; only matching events count',
      example: { region: ['eu', 'us'] },
      maxProperties: MAX_FILTERS,
    }),
  groupBy: z
    .array(propertyPathSchema)
    .max(MAX_GROUP_BY)
    .optional()
    .meta({ description: 'Properties usage can be broken down by', example: ['model'], uniqueItems: true }),
  allowNegative: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .meta({ description: 'Accept negative values (sum, max, latest only; default false): a sum can then go down, e.g. for refunds' }),
};

/** A meter definition as an admin posts it. Unknown fields are refused, not ignored. */
export const meterInputSchema = z
  .strictObject(meterFields)
  .superRefine((m, ctx) => {
    const needsValue = m.aggregation !== 'count';
    if (needsValue && m.valueProperty === undefined) {
      ctx.addIssue({ code: 'custom', path: ['valueProperty'], message: `is required for the ${m.aggregation} aggregation` });
    }
    if (!needsValue && m.valueProperty !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['valueProperty'], message: 'must be absent for count, which counts events' });
    }
    if (m.filters && Object.keys(m.filters).length > MAX_FILTERS) {
      ctx.addIssue({ code: 'custom', path: ['filters'], message: `must have at most ${MAX_FILTERS} properties` });
    }
    if (m.allowNegative && !NUMERIC_AGGREGATIONS.includes(m.aggregation)) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowNegative'],
        message: `is only for ${NUMERIC_AGGREGATIONS.join(', ')}, which read numbers`,
      });
    }
    if (m.groupBy && new Set(m.groupBy).size !== m.groupBy.length) {
      ctx.addIssue({ code: 'custom', path: ['groupBy'], message: 'must not repeat a property' });
    }
  })
  .meta({
    // The valueProperty rule above, as JSON Schema states it.
    anyOf: [
      { properties: { aggregation: { const: 'count' } }, not: { required: ['valueProperty'] } },
      { properties: { aggregation: { enum: AGGREGATIONS.filter((a) => a !== 'count') } }, required: ['valueProperty'] },
    ],
  });
export type MeterInput = z.input<typeof meterInputSchema>;

/** A meter as the rest of the system sees it: optional lists are empty, not absent. */
export type Meter = {
  code: string;
  name: string;
  description?: string | undefined;
  eventType: string;
  aggregation: Aggregation;
  valueProperty?: string | undefined;
  filters: Record<string, string[]>;
  groupBy: string[];
  /** Negative values count (sum, max, latest); otherwise ingest refuses them and reads skip them. Absent means false. */
  allowNegative?: boolean | undefined;
};

export const meterSchema = z
  .object({
    code: meterCodeSchema,
    name: z.string(),
    description: z.string().optional(),
    eventType: z.string(),
    aggregation: z.enum(AGGREGATIONS),
    valueProperty: z.string().optional(),
    filters: z.record(z.string(), z.array(z.string())),
    groupBy: z.array(z.string()),
    allowNegative: z.boolean(),
  })
  .meta({ id: 'Meter' });

/** Parses and normalises an input definition; throws a ZodError naming the field. */
export function parseMeter(input: unknown): Meter {
  const m = meterInputSchema.parse(input);
  return {
    code: m.code,
    name: m.name,
    ...(m.description !== undefined ? { description: m.description } : {}),
    eventType: m.eventType,
    aggregation: m.aggregation,
    ...(m.valueProperty !== undefined ? { valueProperty: m.valueProperty } : {}),
    filters: m.filters ?? {},
    groupBy: m.groupBy ?? [],
    allowNegative: m.allowNegative ?? false,
  };
}
