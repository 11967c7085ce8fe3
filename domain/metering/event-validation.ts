import { parseRfc3339 } from './event-time.ts';

export const MAX_EVENT_ID_LENGTH = 256;
export const MAX_TYPE_LENGTH = 256;
export const MAX_SUBJECT_LENGTH = 256;
export const MAX_SOURCE_LENGTH = 1024;
/** An event may be at most this far ahead of the receiving clock (clock skew allowance). */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Events before the Unix epoch are refused: they can only be a unit mistake (seconds vs ms). */
export const MIN_EVENT_TIME_MS = 0;

/** A validated usage event, before it is bound to a tenant. */
export type UsageEvent = {
  id: string;
  type: string;
  timeMs: number;
  subject: string | undefined;
  source: string;
  /** Numbers a double cannot hold exactly are decimal strings (see lossless-json.ts). */
  data: Record<string, unknown>;
};

/** A problem with one event of a request; `field` is `events[index].path`. */
export type EventFieldError = { index: number; field: string; message: string };

export type EventShape = 'cloudevent' | 'plain';

const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json(?:\s*;.*)?$/i;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks one event (a CloudEvents 1.0 object or the plain form, which is the same
 * object with `specversion` optional) and normalises it. Extension attributes are
 * allowed and ignored, as the CloudEvents spec asks of consumers.
 */
export function validateEvent(
  raw: unknown,
  index: number,
  opts: { nowMs: number; shape: EventShape },
): { event?: UsageEvent; errors: EventFieldError[] } {
  const errors: EventFieldError[] = [];
  const at = (path: string) => `events[${index}]${path ? `.${path}` : ''}`;
  const fail = (path: string, message: string) => errors.push({ index, field: at(path), message });
  if (!isPlainObject(raw)) {
    fail('', 'must be a JSON object');
    return { errors };
  }

  const text = (name: string, max: number, required: boolean): string | undefined => {
    const v = raw[name];
    if (v === undefined || (v === null && !required)) {
      if (required) fail(name, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') fail(name, 'must be a string');
    else if (v.length === 0) fail(name, 'must not be empty');
    else if (v.length > max) fail(name, `must be at most ${max} characters`);
    else return v;
    return undefined;
  };

  const id = text('id', MAX_EVENT_ID_LENGTH, true);
  const type = text('type', MAX_TYPE_LENGTH, true);
  const subject = text('subject', MAX_SUBJECT_LENGTH, false);
  const source = text('source', MAX_SOURCE_LENGTH, false) ?? 'api';

  const spec = raw.specversion;
  if (spec === undefined) {
    if (opts.shape === 'cloudevent') fail('specversion', 'is required for CloudEvents (use "1.0")');
  } else if (spec !== '1.0') fail('specversion', 'must be "1.0"');

  let timeMs = opts.nowMs;
  const time = raw.time;
  if (time !== undefined && time !== null) {
    const parsed = typeof time === 'string' ? parseRfc3339(time) : null;
    if (parsed === null) fail('time', 'must be an RFC 3339 timestamp such as 2026-01-31T23:59:59Z');
    else if (parsed > opts.nowMs + MAX_FUTURE_MS) fail('time', 'must not be more than 5 minutes in the future');
    else if (parsed < MIN_EVENT_TIME_MS) fail('time', 'must not be before 1970-01-01T00:00:00Z');
    else timeMs = parsed;
  }

  const contentType = raw.datacontenttype;
  if (contentType !== undefined && (typeof contentType !== 'string' || !JSON_MEDIA.test(contentType))) {
    fail('datacontenttype', 'must be a JSON media type (application/json); data is a JSON object');
  }
  if (raw.data_base64 !== undefined) fail('data_base64', 'is not supported; send data as a JSON object');

  let data: Record<string, unknown> = {};
  if (raw.data !== undefined && raw.data !== null) {
    if (isPlainObject(raw.data)) data = raw.data;
    else fail('data', 'must be a JSON object');
  }

  if (errors.length || id === undefined || type === undefined) return { errors };
  return { event: { id, type, timeMs, subject, source, data }, errors };
}
