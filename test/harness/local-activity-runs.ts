/** The fields of a history event that local-activity markers are read from. */
export type MarkerEvent = {
  markerRecordedEventAttributes?: {
    markerName?: string | null;
    details?: Record<string, { payloads?: Array<{ data?: Uint8Array | string | null }> | null }> | null;
    failure?: unknown;
  } | null;
};

const text = (data: Uint8Array | string | null | undefined) =>
  typeof data === 'string' ? Buffer.from(data, 'base64').toString() : Buffer.from(data ?? []).toString();

/** Each finished run of a local activity of `type` in a history (one marker each): its index in `events`, attempt and failure (null when it succeeded). */
export function localActivityRuns(events: MarkerEvent[], type: string): { index: number; attempt: number; failure: unknown }[] {
  return events.flatMap((e, index) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_local_activity') return [];
    const data = JSON.parse(text(m.details?.data?.payloads?.[0]?.data)) as { activity_type: string; attempt: number };
    return data.activity_type === type ? [{ index, attempt: data.attempt, failure: m.failure ?? null }] : [];
  });
}

/** The patch ids of a history, in the order their markers were recorded. */
export function patchIds(events: MarkerEvent[]): string[] {
  return events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return [];
    return [(JSON.parse(text(m.details?.['patch-data']?.payloads?.[0]?.data)) as { id: string }).id];
  });
}
