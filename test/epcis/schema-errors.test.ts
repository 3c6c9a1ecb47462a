/**
 * A multi-part validation error is presented the same way on every edge: the EPCIS document's schema
 * violations as a list of {field, reason} (ValidationError.errors), printed by the CLI one
 * "lodestone: field: reason" line each before the one-line summary, and returned by the HTTP API as
 * problem details' `errors`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EpcisSchemaError, validateEpcis } from '../../src/epcis/index.js';
import { toProblem } from '../../src/http/index.js';
import { ValidationError } from '../../src/domain/index.js';

const work = mkdtempSync(join(tmpdir(), 'lodestone-schema-errors-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** An EPCIS document with three schema violations: two bad actions and an unknown member. */
const bad = {
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2026-11-24T09:00:00Z',
  epcisBody: {
    eventList: [
      {
        type: 'ObjectEvent',
        eventTime: '2026-11-24T08:00:00Z',
        eventTimeZoneOffset: '+00:00',
        epcList: [],
        action: 'CREATE',
      },
      {
        type: 'ObjectEvent',
        eventTime: '2026-11-24T08:00:00Z',
        eventTimeZoneOffset: '+00:00',
        epcList: [],
        action: 'MAKE',
      },
    ],
  },
};

describe('multi-part validation errors', () => {
  const violations = validateEpcis(bad);
  const error = new EpcisSchemaError(violations);

  it('an EPCIS schema error lists every violation as {field, reason}, the first being the one its message names', () => {
    expect(violations.length).toBeGreaterThan(1);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors).toHaveLength(violations.length);
    expect(error.errors[0]!.field).toBe(error.field);
    expect(error.message.startsWith(`${error.field}: `)).toBe(true);
    expect(error.errors.map((e) => e.field)).toEqual(violations.map((v) => `document${v.path === '/' ? '' : v.path}`));
    expect(error.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['document/epcisBody/eventList/0/action', 'document/epcisBody/eventList/1/action']),
    );
  });

  it('HTTP: problem details carry the list as errors; a single-fault input carries none', () => {
    const { problem } = toProblem(error);
    expect(problem).toMatchObject({ status: 400, code: 'INVALID_INPUT', field: error.field, errors: error.errors });
    expect(toProblem(new ValidationError('validFrom', 'must be a date')).problem).not.toHaveProperty('errors');
  });

  it('CLI: epcis capture prints each further violation on its own line naming the file, then the summary; exit 2', async () => {
    const file = join(work, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const code = await main(
      [
        'node',
        'lodestone',
        '--data-dir',
        join(work, 'store'),
        'epcis',
        'capture',
        file,
        '--as',
        'chakan-drive-systems',
      ],
      { out: sink(() => undefined), err: sink((s) => (err += s)) },
    );
    expect(code).toBe(2);
    const lines = err.trimEnd().split('\n');
    expect(lines).toEqual([
      ...error.errors.slice(1).map((e) => `lodestone: ${file}: ${e.field}: ${e.reason}`),
      `lodestone: ${file}: ${error.message}`,
    ]);
  });
});
