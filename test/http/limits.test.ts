import { describe, expect, it } from 'vitest';
import { rateLimitFromEnv } from '../../src/http/index.js';

describe('rate limits of lodestone serve', () => {
  it('default to 1,200 a minute per address and 600 per credential; the environment sets them, naming a bad value', () => {
    expect(rateLimitFromEnv({})).toEqual({ max: 600, maxPerAddress: 1200, timeWindow: '1 minute' });
    expect(rateLimitFromEnv({ LODESTONE_RATE_LIMIT: '100', LODESTONE_RATE_LIMIT_PER_ADDRESS: '50000' })).toEqual({
      max: 100,
      maxPerAddress: 50_000,
      timeWindow: '1 minute',
    });
    expect(() => rateLimitFromEnv({ LODESTONE_RATE_LIMIT_PER_ADDRESS: 'lots' })).toThrow(
      /LODESTONE_RATE_LIMIT_PER_ADDRESS: must be a positive whole number/,
    );
    expect(() => rateLimitFromEnv({ LODESTONE_RATE_LIMIT: '0' })).toThrow(/LODESTONE_RATE_LIMIT: /);
  });
});
