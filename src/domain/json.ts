/**
 * Strict reading of JSON text that crosses a trust boundary (an HTTP body, a file named on the
 * command line, a JWS header): two things `JSON.parse` accepts but Lodestone refuses.
 *
 * - **Nesting deeper than `MAX_JSON_DEPTH`.** No document Lodestone reads needs more than a handful
 *   of levels (an EPCIS document about ten); a body of 100,000 `[` makes every recursive walk
 *   (validation, canonicalisation, the U+0000 check) overflow the stack, which answered 500.
 * - **An object with the same member name twice** (after unescaping: `"a"` and `"\u0061"` are the same
 *   name). RFC 8259 §4 leaves the meaning of such an object to each parser — most keep the last, some
 *   the first, some refuse — so the signed bytes of a request could mean one thing to the server and
 *   another to a verifier or a party's own tools (RFC 7493 I-JSON §2.3 forbids them for this reason).
 *
 * The scan is linear, allocates only the member names, and does not judge syntax: text that is not
 * JSON is left to `JSON.parse`, whose message names the position.
 */
import { ValidationError } from './errors.js';

/** The deepest nesting of arrays and objects accepted (the outermost value is depth 1). */
export const MAX_JSON_DEPTH = 64;

export type JsonShapeProblem =
  /** `path` is where the value that goes past the limit starts. */
  | { readonly kind: 'depth'; readonly path: string; readonly limit: number }
  /** `path` is the duplicated member's (its object's path, then the name). */
  | { readonly kind: 'duplicate'; readonly path: string };

interface Frame {
  readonly object: boolean;
  /** Member names seen so far (objects only). */
  readonly names: Set<string> | null;
  /** Objects: whether the next string is a member name. */
  expectName: boolean;
  /** Arrays: the index of the element being read. */
  index: number;
  /** Objects: the name of the member being read. */
  name: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A member name as a path segment: `.name`, or `["…"]` when it is not a plain identifier. */
function segment(name: string): string {
  return /^[A-Za-z_$@][A-Za-z0-9_$@:-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** The path of the value being read in the innermost of `frames` (built only when a problem is found). */
function pathOf(root: string, frames: readonly Frame[]): string {
  let path = root;
  for (const f of frames) path += f.object ? segment(f.name) : `[${String(f.index)}]`;
  return path;
}

/**
 * The first nesting or duplicate-name problem of `text`, or undefined. Paths start at `root` and
 * read like `body.lines[0].grams` (a member name that is not a plain word is quoted: `body["a b"]`).
 */
export function jsonShapeProblem(text: string, root = '', maxDepth = MAX_JSON_DEPTH): JsonShapeProblem | undefined {
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // A string: find its end, skipping escapes.
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return undefined; // unterminated: JSON.parse says where
        let backslashes = 0;
        for (let k = q - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
        j = q + 1;
        if (backslashes % 2 === 0) break;
      }
      const top = stack[stack.length - 1];
      if (top?.object === true && top.expectName) {
        let name = text.slice(i + 1, j - 1);
        if (name.includes('\\')) {
          try {
            name = JSON.parse(text.slice(i, j)) as string;
          } catch {
            return undefined; // a malformed name: JSON.parse says where
          }
        }
        top.name = name;
        if (top.names?.has(name) === true) return { kind: 'duplicate', path: pathOf(root, stack) };
        top.names?.add(name);
        top.expectName = false;
      }
      i = j;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return { kind: 'depth', path: pathOf(root, stack), limit: maxDepth };
      const object = c === 0x7b;
      stack.push({ object, names: object ? new Set() : null, expectName: object, index: 0, name: '' });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        if (top.object) top.expectName = true;
        else top.index++;
      }
    }
    i++;
  }
  return undefined;
}

/** Why a shape problem refuses the text, in words (for a one-line error naming the limit or the name). */
export function describeJsonShapeProblem(p: JsonShapeProblem): string {
  return p.kind === 'depth'
    ? `nests arrays and objects more than ${String(p.limit)} deep (the limit, MAX_JSON_DEPTH)`
    : 'is a member name that appears twice in the same object (duplicate names are refused: JSON parsers disagree on which one counts)';
}

/**
 * Parses JSON text that crosses a trust boundary: syntax errors, nesting deeper than
 * `MAX_JSON_DEPTH` and duplicate member names are a ValidationError naming `root` (and, for the
 * last two, the path of the offending value or name).
 */
export function parseJsonStrict(text: string, root: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const problem = jsonShapeProblem(text, root, maxDepth);
  if (problem !== undefined)
    throw new ValidationError(problem.path === '' ? root : problem.path, describeJsonShapeProblem(problem));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ValidationError(root, `is not valid JSON (${(e as Error).message})`);
  }
}
