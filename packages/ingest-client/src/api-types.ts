import type { components, operations } from './schema.d.ts';

/** One usage event as the ingest route takes it (plain JSON, or CloudEvents 1.0 with `specversion` and `source`). */
export type UsageEvent = components['schemas']['UsageEvent'];
/** The ingest route's 202 body. */
export type IngestResult = operations['ingestUsage']['responses'][202]['content']['application/json'];
export type IngestWarning = IngestResult['warnings'][number];
/** The body of every refusal (application/problem+json). */
export type Problem = components['schemas']['Problem'];
export type FieldError = NonNullable<Problem['errors']>[number];
/** The request body this client sends: always the `{events: [...]}` form of application/json. */
export type IngestRequestBody = Extract<operations['ingestUsage']['requestBody']['content']['application/json'], { events: unknown }>;
