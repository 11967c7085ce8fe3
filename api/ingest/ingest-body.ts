import { parseJsonLossless, type EventShape } from '../../domain/metering/index.ts';
import { HttpProblem } from '../http/problem.ts';
import { jsonShapeError } from '../http/json-shape.ts';

export const MAX_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_EVENTS_PER_REQUEST = 10_000;

export const CLOUDEVENTS_JSON = 'application/cloudevents+json';
export const CLOUDEVENTS_BATCH = 'application/cloudevents-batch+json';
export const PLAIN_JSON = 'application/json';
export const INGEST_CONTENT_TYPES = [CLOUDEVENTS_JSON, CLOUDEVENTS_BATCH, PLAIN_JSON] as const;

/** CloudEvents binary mode: the attributes travel as ce-* headers and the body is `data`. */
const BINARY_ATTRIBUTES = ['id', 'type', 'source', 'specversion', 'time', 'subject', 'dataschema', 'reservationid'] as const;

const isJsonMedia = (type: string) => type === PLAIN_JSON || /^application\/[\w.-]+\+json$/.test(type);

export type IngestBody = { shape: EventShape; events: unknown[] };

function parse(text: string): unknown {
  let body: unknown;
  try {
    body = parseJsonLossless(text);
  } catch (err) {
    throw new HttpProblem(400, `body: not valid JSON (${(err as Error).message})`, {
      errors: [{ field: 'body', message: 'not valid JSON' }],
    });
  }
  return body;
}

/**
 * The events of an ingest request, in request order, not yet validated:
 * - `ce-specversion` header present: CloudEvents binary mode, one event whose data is the body;
 * - application/cloudevents+json: one structured CloudEvent;
 * - application/cloudevents-batch+json: a JSON array of CloudEvents;
 * - application/json: one event, an array of events, or `{"events": [...]}`.
 */
export function readIngestBody(mediaType: string, headers: Record<string, string | string[] | undefined>, text: string): IngestBody {
  let events: unknown[];
  let shape: EventShape = 'cloudevent';
  if (headers['ce-specversion'] !== undefined) {
    if (mediaType && !isJsonMedia(mediaType)) {
      throw new HttpProblem(415, 'CloudEvents binary mode: the body is the event data and must be JSON (Content-Type: application/json)', {
        errors: [{ field: 'Content-Type', message: `expected application/json, got ${mediaType}` }],
      });
    }
    const event: Record<string, unknown> = {};
    for (const name of BINARY_ATTRIBUTES) {
      const value = headers[`ce-${name}`];
      if (value !== undefined) event[name] = Array.isArray(value) ? value.join(',') : value;
    }
    if (text.trim() !== '') event.data = parse(text);
    events = [event];
  } else {
    const body = parse(text);
    if (mediaType === CLOUDEVENTS_JSON) {
      events = [body];
    } else if (mediaType === CLOUDEVENTS_BATCH) {
      if (!Array.isArray(body))
        throw new HttpProblem(400, 'body: a CloudEvents batch must be a JSON array', {
          errors: [{ field: 'body', message: 'must be a JSON array' }],
        });
      events = body;
    } else {
      shape = 'plain';
      if (Array.isArray(body)) events = body;
      else if (body !== null && typeof body === 'object' && Array.isArray((body as { events?: unknown }).events))
        events = (body as { events: unknown[] }).events;
      else events = [body];
    }
  }
  if (events.length === 0)
    throw new HttpProblem(400, 'events: the request holds no event', {
      errors: [{ field: 'events', message: 'must contain at least one event' }],
    });
  if (events.length > MAX_EVENTS_PER_REQUEST) {
    throw new HttpProblem(413, `a request may hold at most ${MAX_EVENTS_PER_REQUEST} events (got ${events.length}); split it`, {
      errors: [{ field: 'events', message: `must contain at most ${MAX_EVENTS_PER_REQUEST} events` }],
    });
  }
  // Like every other body: no NUL in a string, no nesting past the limit. Named per event,
  // as event validation names its fields, and the whole request is refused.
  const errors = events.flatMap((event, index) => {
    const error = jsonShapeError(event);
    return error
      ? [{ index, field: error.field === 'body' ? `events[${index}]` : `events[${index}].${error.field}`, message: error.message }]
      : [];
  });
  if (errors.length)
    throw new HttpProblem(400, `${errors[0]!.field}: ${errors[0]!.message}; nothing from this request was written`, {
      errors: errors.slice(0, 100),
    });
  return { shape, events };
}
