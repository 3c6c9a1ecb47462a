import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  jsonShapeProblem,
  MAX_JSON_DEPTH,
  parseJsonStrict,
  parseJsonText,
  ValidationError,
} from '../../src/domain/index.js';

const nest = (n: number, inner = '1') => `${'['.repeat(n)}${inner}${']'.repeat(n)}`;

describe('strict JSON: nesting depth', () => {
  it('accepts MAX_JSON_DEPTH levels and refuses one more, naming where the too-deep value starts', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(jsonShapeProblem(nest(64))).toBeUndefined();
    expect(jsonShapeProblem(nest(65), 'body')).toEqual({ kind: 'depth', path: `body${'[0]'.repeat(64)}`, limit: 64 });
    expect(jsonShapeProblem('{"a":{"b":[1,{"c":[[]]}]}}', 'body', 4)).toEqual({
      kind: 'depth',
      path: 'body.a.b[1].c',
      limit: 4,
    });
    expect(jsonShapeProblem(nest(1_000_000))?.kind).toBe('depth');
  });

  it('does not count brackets inside strings', () => {
    expect(jsonShapeProblem(JSON.stringify({ s: '['.repeat(1000) + '{"x":1,"x":2}' }))).toBeUndefined();
    expect(jsonShapeProblem(JSON.stringify({ s: 'a\\"[[[' }))).toBeUndefined();
  });

  it('leaves syntax to JSON.parse, and never throws or loops on garbage', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'a', '1', ' ') }), (s) => {
        jsonShapeProblem(s);
      }),
    );
    expect(() => parseJsonStrict('{"a":', 'body')).toThrow(/body: is not valid JSON/);
  });
});

describe('strict JSON: duplicate member names', () => {
  it('refuses a name twice in one object, after unescaping, naming its path', () => {
    expect(jsonShapeProblem('{"a":1,"a":2}', 'body')).toEqual({ kind: 'duplicate', path: 'body.a' });
    expect(jsonShapeProblem('{"a":1,"\\u0061":2}', 'body')).toEqual({ kind: 'duplicate', path: 'body.a' });
    expect(jsonShapeProblem('{"x":[{"k":1},{"k":1,"j":2,"k":3}]}', 'body')).toEqual({
      kind: 'duplicate',
      path: 'body.x[1].k',
    });
    expect(jsonShapeProblem('{"a b":1,"a b":2}', 'body')).toEqual({ kind: 'duplicate', path: 'body["a b"]' });
    // The same name in different objects, or as a value, is fine.
    expect(jsonShapeProblem('{"a":{"a":"a"},"b":{"a":1}}')).toBeUndefined();
  });

  it('finds nothing in any JSON.stringify output (which cannot repeat a name), and finds an injected repeat', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.string(), (v, name) => {
        const text = JSON.stringify(v);
        expect(jsonShapeProblem(text)).toBeUndefined();
        const dup = `{${JSON.stringify(name)}:${text},${JSON.stringify(name)}:0}`;
        expect(jsonShapeProblem(dup)?.kind).toBe('duplicate');
      }),
    );
  });

  it("parseJsonText (the CLI's file reader) names the file and the path", () => {
    expect(() => parseJsonText('{"lines":[{"grams":1,"grams":2}]}', 'app.json')).toThrow(ValidationError);
    expect(() => parseJsonText('{"lines":[{"grams":1,"grams":2}]}', 'app.json')).toThrow(
      /^app\.json: lines\[0\]\.grams: is a member name that appears twice/,
    );
    expect(() => parseJsonText(nest(100), 'deep.json')).toThrow(
      /^deep\.json: (\[0\])+: nests arrays and objects more than 64 deep/,
    );
  });
});
