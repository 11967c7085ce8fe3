export { IngestClient, createIngestClient, type IngestClientOptions, type TrackedEvent, type SerializableEvent } from './ingest-client.ts';
export type { EventOutcome, EventError, ClientWarning } from './outcome.ts';
export type { UsageEvent, IngestResult, IngestWarning, Problem, FieldError } from './api-types.ts';
export { API_MAX_BODY_BYTES, API_MAX_EVENTS } from './batch-queue.ts';
export { parseRetryAfter, backoffDelay } from './retry-delay.ts';
export { uuidv7 } from './event-id.ts';
