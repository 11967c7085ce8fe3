import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { unlessTaken } from './write-refusals.ts';
import { AGGREGATIONS, type Meter } from '../../domain/metering/index.ts';

// Meters are operator-owned (no RLS): these queries run on the pool or in any scope.

export const meterRow = z.object({
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  event_type: z.string(),
  aggregation: z.enum(AGGREGATIONS),
  value_property: z.string().nullable(),
  filters: z.record(z.string(), z.array(z.string())),
  group_by: z.array(z.string()),
  allow_negative: z.boolean(),
  created_at: z.date(),
});
export type MeterRow = z.infer<typeof meterRow>;

export type MeterRecord = Meter & { createdAt: Date };

const columns = sql.fragment`code, name, description, event_type, aggregation, value_property, filters, group_by, allow_negative, created_at`;

/** A stored meter as the rest of the system sees it (the limits' ingest hook joins meters into its own query). */
export function toMeterRecord(r: MeterRow): MeterRecord {
  return {
    code: r.code,
    name: r.name,
    ...(r.description !== null ? { description: r.description } : {}),
    eventType: r.event_type,
    aggregation: r.aggregation,
    ...(r.value_property !== null ? { valueProperty: r.value_property } : {}),
    filters: r.filters,
    groupBy: r.group_by,
    allowNegative: r.allow_negative,
    createdAt: r.created_at,
  };
}

export const metersRepository = {
  /** Inserts a validated meter; a taken code raises slonik's UniqueIntegrityConstraintViolationError (create answers 'taken'). */
  insert: async (db: CommonQueryMethods, m: Meter): Promise<MeterRecord> =>
    toMeterRecord(
      await db.one(sql.type(meterRow)`
        INSERT INTO meters (code, name, description, event_type, aggregation, value_property, filters, group_by, allow_negative)
        VALUES (${m.code}, ${m.name}, ${m.description ?? null}, ${m.eventType}, ${m.aggregation}, ${m.valueProperty ?? null},
                ${sql.jsonb(m.filters)}, ${sql.array(m.groupBy, 'text')}, ${m.allowNegative === true})
        RETURNING ${columns}`),
    ),

  /** insert, with a taken code as its answer ('taken') rather than an error. */
  create: (db: CommonQueryMethods, m: Meter) => unlessTaken(metersRepository.insert(db, m)),

  findByCode: async (db: CommonQueryMethods, code: string): Promise<MeterRecord | null> => {
    const row = await db.maybeOne(sql.type(meterRow)`SELECT ${columns} FROM meters WHERE code = ${code}`);
    return row ? toMeterRecord(row) : null;
  },

  list: async (db: CommonQueryMethods): Promise<MeterRecord[]> =>
    (await db.any(sql.type(meterRow)`SELECT ${columns} FROM meters ORDER BY code`)).map(toMeterRecord),
};
