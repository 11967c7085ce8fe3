import { defineEnvVars } from '@sveltejs/kit/env';

const optionalUrl = (name: string) => (value: string | undefined) => {
  if (!value) return undefined;
  try {
    return new URL(value).toString().replace(/\/$/, '');
  } catch {
    throw new Error(`${name} must be an absolute URL, e.g. http://api:4000`);
  }
};

/**
 * The dashboard's configuration, read when the server starts (never inlined at build time).
 * All of it is private: the browser sees none of these values.
 */
export const variables = defineEnvVars({
  API_URL: {
    description: 'Base URL of the Meterplane API as the dashboard server reaches it (without /api). Default http://127.0.0.1:4000.',
    schema: (value) => optionalUrl('API_URL')(value) ?? 'http://127.0.0.1:4000',
  },
  TEMPORAL_UI_URL: {
    description: "Temporal UI base URL for links to a subscription's workflow. Empty hides the link.",
    schema: optionalUrl('TEMPORAL_UI_URL'),
  },
  TEMPORAL_NAMESPACE: {
    description: 'Temporal namespace of the billing workflows (for Temporal UI links). Default "default".',
    schema: (value) => value || 'default',
  },
});
