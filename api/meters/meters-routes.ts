import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { meterInputSchema, meterSchema } from '../../domain/metering/index.ts';
import type { MeterRecord } from '../../db/postgres/meters-repository.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { createMetersService } from './meters-service.ts';

const meterResponse = meterSchema.extend({ createdAt: z.iso.datetime() }).meta({ id: 'MeterRecord' });
const toResponse = (m: MeterRecord) => ({ ...m, createdAt: m.createdAt.toISOString() });

/** Meters are operator-owned: admins define them, every signed-in role reads them. */
export function metersRoutes(deps: { pg: DatabasePool; metering: MeteringRuntime }): RouteDef[] {
  const service = createMetersService({ pg: deps.pg, meters: deps.metering.meters });
  return [
    defineRoute({
      method: 'post',
      path: '/meters',
      operationId: 'createMeter',
      tag: 'meters',
      access: { roles: ['admin'] },
      summary: 'Define a meter',
      description:
        'A meter turns events of one type into a billable quantity. valueProperty is required for sum, max, latest and unique_count and refused for count. Meters cannot be changed once created.',
      body: {
        schema: meterInputSchema,
        examples: {
          tokens: {
            summary: 'Tokens per model',
            value: {
              code: 'llm_tokens',
              name: 'LLM tokens',
              eventType: 'llm.completion',
              aggregation: 'sum',
              valueProperty: 'usage.total_tokens',
              groupBy: ['model'],
            },
          },
        },
      },
      responses: {
        201: { description: 'Created', schema: meterResponse },
        400: { description: 'Invalid meter definition' },
        409: { description: 'The code is taken' },
      },
      handler: async ({ body }) => {
        const record = await service.create(body);
        return { status: 201, body: toResponse(record), headers: { Location: `/api/meters/${record.code}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/meters',
      operationId: 'listMeters',
      tag: 'meters',
      access: { roles: ROLES },
      summary: 'List meters',
      responses: { 200: { description: 'Every meter, by code', schema: z.object({ items: z.array(meterResponse) }) } },
      handler: async () => ({ status: 200, body: { items: (await service.list()).map(toResponse) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/meters/:code',
      operationId: 'getMeter',
      tag: 'meters',
      access: { roles: ROLES },
      summary: 'One meter',
      params: z.object({ code: z.string().max(63) }),
      responses: { 200: { description: 'The meter', schema: meterResponse }, 404: { description: 'No such meter' } },
      handler: async ({ params }) => ({ status: 200, body: toResponse(await service.get(params.code)) }),
    }),
  ];
}
