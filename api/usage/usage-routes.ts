import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { badRequest, notFound } from '../http/problem.ts';
import { isOperator, resolveTenant } from '../auth/tenant-access.ts';
import type { Principal } from '../http/route.ts';
import { granularityMs, type Meter } from '../../domain/metering/index.ts';
import { listMeterEvents, readMeterTimeseries, readMeterUsage } from '../../db/clickhouse/usage-reader.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';
import { createUsageExplainService } from './explain-service.ts';
import { explainQuery, explainResponse } from './explain-schemas.ts';
import {
  MAX_POINTS,
  eventsQuery,
  eventsResponse,
  summaryQuery,
  summaryResponse,
  timeseriesQuery,
  timeseriesResponse,
} from './usage-schemas.ts';

// Ingest keys read their own usage as they always have; read keys exist for exactly this.
const READERS = { roles: ROLES, apiKey: ['ingest', 'read'] } as const;
const problems = {
  400: { description: 'Invalid query' },
  401: { description: 'Not signed in' },
  404: { description: "No such tenant (or another tenant's) or meter" },
};

/**
 * Usage reads (decode → read → encode). Every read is for one tenant: operators name it,
 * customers and API keys are their own tenant and get 404 for any other (api/README.md, *Usage reads*).
 * Values are exact decimal strings, deduplicated (first accepted delivery wins).
 */
export function usageRoutes(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; metering: MeteringRuntime }): RouteDef[] {
  const { metering } = deps;
  const explainer = createUsageExplainService(deps);

  async function tenantFor(principal: Principal, requested: string | undefined): Promise<string> {
    const tenantId = resolveTenant(principal, requested);
    // Operators may name any tenant, but a tenant that does not exist is a 404, not zeros.
    if (isOperator(principal) && !(await metering.tenants.byId(tenantId))) throw notFound('tenant');
    return tenantId;
  }

  async function meterFor(code: string, groupBy: readonly string[] = []): Promise<Meter> {
    const meter = (await metering.meters.all()).find((m) => m.code === code);
    if (!meter) throw notFound('meter');
    const unknown = groupBy.filter((g) => !meter.groupBy.includes(g));
    if (unknown.length)
      throw badRequest(
        'groupBy',
        `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a groupBy property of meter ${code} (it has: ${meter.groupBy.join(', ') || 'none'})`,
      );
    return meter;
  }

  return [
    defineRoute({
      method: 'get',
      path: '/usage/summary',
      operationId: 'usageSummary',
      tag: 'usage',
      access: READERS,
      summary: 'Usage of every meter (or one) for a tenant in [from, to)',
      query: summaryQuery,
      responses: { 200: { description: 'One item per meter', schema: summaryResponse }, ...problems },
      handler: async ({ query, principal }) => {
        const tenantId = await tenantFor(principal, query.tenantId);
        const meters = query.meter ? [await meterFor(query.meter, query.groupBy)] : await metering.meters.all();
        const usages = await Promise.all(
          meters.map((meter) =>
            readMeterUsage(deps.clickhouse, {
              tenantId,
              meter,
              from: query.from,
              to: query.to,
              ...(query.groupBy?.length ? { groupBy: query.groupBy } : {}),
            }),
          ),
        );
        metering.metrics.eventsDeduplicated.inc(usages.reduce((n, u) => n + u.duplicates, 0));
        return {
          status: 200,
          body: {
            from: query.from.toISOString(),
            to: query.to.toISOString(),
            items: usages.map((u) => ({
              meter: u.meter,
              aggregation: u.aggregation,
              value: u.value,
              events: u.events,
              ...(u.groups ? { groups: u.groups } : {}),
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/usage/timeseries',
      operationId: 'usageTimeseries',
      tag: 'usage',
      access: READERS,
      summary: "A meter's usage per minute, hour or day",
      description: `Bucket n covers [from + n·granularity, (n+1)·granularity), so buckets align with from; every bucket is present. At most ${MAX_POINTS} points.`,
      query: timeseriesQuery,
      responses: { 200: { description: 'One point per bucket', schema: timeseriesResponse }, ...problems },
      handler: async ({ query, principal }) => {
        const tenantId = await tenantFor(principal, query.tenantId);
        const meter = await meterFor(query.meter, query.groupBy);
        const stepMs = granularityMs(query.granularity);
        if ((query.to.getTime() - query.from.getTime()) / stepMs > MAX_POINTS) {
          throw badRequest(
            'granularity',
            `gives more than ${MAX_POINTS} points for this window; use a coarser granularity or a shorter window`,
          );
        }
        const series = await readMeterTimeseries(deps.clickhouse, {
          tenantId,
          meter,
          from: query.from,
          to: query.to,
          stepMs,
          ...(query.groupBy?.length ? { groupBy: query.groupBy } : {}),
        });
        metering.metrics.eventsDeduplicated.inc(series.duplicates);
        return {
          status: 200,
          body: {
            meter: meter.code,
            aggregation: meter.aggregation,
            granularity: query.granularity,
            from: query.from.toISOString(),
            to: query.to.toISOString(),
            points: series.points.map((p) => ({
              t: p.t.toISOString(),
              value: p.value,
              events: p.events,
              ...(p.groups ? { groups: p.groups } : {}),
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/usage/events',
      operationId: 'usageEvents',
      tag: 'usage',
      access: READERS,
      summary: 'The deduplicated events a meter counts in [from, to), oldest first (drill-down)',
      query: eventsQuery,
      responses: { 200: { description: 'Events as first delivered', schema: eventsResponse }, ...problems },
      handler: async ({ query, principal }) => {
        const tenantId = await tenantFor(principal, query.tenantId);
        const meter = await meterFor(query.meter);
        const items = await listMeterEvents(deps.clickhouse, { tenantId, meter, from: query.from, to: query.to, limit: query.limit });
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/usage/events/explain',
      operationId: 'explainUsageEvent',
      tag: 'usage',
      access: READERS,
      summary: "Why one event was (or was not) billed: its deliveries, the winner, each meter's value, the invoice line or a reason code",
      description:
        'Without source, every event of the tenant with this id is explained (one per source). Reason codes: no_meter, filtered_out, value_not_numeric, duplicate_of, outside_any_subscription, after_final_invoice, late_beyond_horizon (api/README.md, *Explain one event*).',
      query: explainQuery,
      responses: {
        200: { description: 'The explanation of each event with this id', schema: explainResponse },
        400: { description: 'Invalid query (the field is named)' },
        401: { description: 'Not signed in' },
        404: { description: "No such tenant (or another tenant's), or no delivery of this event" },
      },
      handler: async ({ query, principal }) => {
        const tenantId = await tenantFor(principal, query.tenantId);
        return { status: 200, body: await explainer.explain({ tenantId, id: query.id, source: query.source }) };
      },
    }),
  ];
}
