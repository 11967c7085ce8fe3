import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from './load-config.ts';
import { webhookDestinationsOf } from './webhook-destinations.ts';

const secret = { JWT_SECRET: 'x'.repeat(32) };

describe('webhookDestinationsOf', () => {
  it.each([
    ['development by default', {}, { allowPrivate: true, requireHttps: false }],
    ['test', { NODE_ENV: 'test' }, { allowPrivate: true, requireHttps: false }],
    ['production', { NODE_ENV: 'production', ...secret }, { allowPrivate: false, requireHttps: true }],
    [
      'production, private allowed on purpose',
      { NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: 'true', ...secret },
      { allowPrivate: true, requireHttps: true },
    ],
    ['development, private refused on purpose', { WEBHOOK_ALLOW_PRIVATE: 'false' }, { allowPrivate: false, requireHttps: false }],
    [
      'an empty value is the default',
      { NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: '', ...secret },
      { allowPrivate: false, requireHttps: true },
    ],
  ])('%s', (_case, env, policy) => {
    expect(webhookDestinationsOf(loadConfig(env))).toEqual(policy);
  });

  it('names WEBHOOK_ALLOW_PRIVATE when its value is not true or false', () => {
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(/^WEBHOOK_ALLOW_PRIVATE is invalid/);
  });
});
