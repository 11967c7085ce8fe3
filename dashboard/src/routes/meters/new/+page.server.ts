import { redirect } from '@sveltejs/kit';
import { formText } from '#lib/form-text.ts';
import { failFrom, failWith } from '#lib/server/api.ts';
import type { Actions } from './$types';

const AGGREGATIONS = ['count', 'sum', 'max', 'unique_count', 'latest'] as const;
type Aggregation = (typeof AGGREGATIONS)[number];

/** "region=eu,us" lines → {region: ["eu", "us"]}. */
function parseFilters(text: string): Record<string, string[]> | string {
  const filters: Record<string, string[]> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return `line ${i + 1}: write property=value1,value2`;
    filters[line.slice(0, eq).trim()] = line
      .slice(eq + 1)
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  }
  return filters;
}

export const actions = {
  default: async ({ request, locals }) => {
    const form = await request.formData();
    const values = Object.fromEntries(
      ['code', 'name', 'description', 'eventType', 'aggregation', 'valueProperty', 'filters', 'groupBy'].map((k) => [k, formText(form, k)]),
    );
    const filters = parseFilters(values.filters ?? '');
    if (typeof filters === 'string') return failWith(400, { fields: { filters }, values });
    const aggregation = values.aggregation as Aggregation;
    const groupBy = (values.groupBy ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    const body = {
      code: values.code ?? '',
      name: values.name ?? '',
      eventType: values.eventType ?? '',
      aggregation: AGGREGATIONS.includes(aggregation) ? aggregation : ('' as Aggregation),
      ...(values.description ? { description: values.description } : {}),
      ...(values.valueProperty ? { valueProperty: values.valueProperty } : {}),
      ...(Object.keys(filters).length ? { filters } : {}),
      ...(groupBy.length ? { groupBy } : {}),
    };
    const { data, error, response } = await locals.api.POST('/api/meters', { body });
    if (!data) return failFrom(error, response, values);
    redirect(303, `/meters/${encodeURIComponent(data.code)}?created=1`);
  },
} satisfies Actions;
