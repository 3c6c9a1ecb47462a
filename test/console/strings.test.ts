/**
 * Every word the console shows lives in console/src/strings.ts, so a translation (Chinese, Hindi …)
 * is one more object of the same shape: no .tsx file under console/src may hold JSX text with a
 * letter in it (symbols and punctuation such as "·", "—" or "…" are allowed). The scan parses each
 * file with the TypeScript compiler and reads its JSX text nodes.
 *
 * NOT_YET_MOVED lists the screens whose words have not been moved yet (issue 22, item 7): the test
 * fails for a file outside it that has JSX text, and for a listed file that no longer has any (so
 * the list only shrinks).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../console/src/', import.meta.url));

const NOT_YET_MOVED = new Set<string>([]);

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsxFiles(join(dir, e.name)) : e.name.endsWith('.tsx') ? [join(dir, e.name)] : [],
  );
}

/** The JSX text nodes with a letter in them, as "line: text". */
export function jsxWords(source: string, name = 'x.tsx'): string[] {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isJsxText(n) && /\p{L}/u.test(n.text))
      found.push(`${file.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.text.trim()}`);
    ts.forEachChild(n, visit);
  };
  visit(file);
  return found;
}

describe('console strings in one place', () => {
  it('finds words in JSX text, and lets symbols and expressions through (the scan itself)', () => {
    expect(jsxWords('const a = <p>Hello {name}</p>;')).toEqual(['1: Hello']);
    expect(jsxWords('const a = <p title="x">{t.hello} · {n} … — ✓</p>;')).toEqual([]);
    expect(jsxWords('const a = <p>{t.a}</p>;\nconst b = <em>Отказано</em>;')).toEqual(['2: Отказано']);
  });

  it('no .tsx file under console/src has JSX text with letters, except the screens not yet moved', () => {
    const files = tsxFiles(SRC).map((f) => ({
      name: relative(SRC, f).replace(/\\/g, '/'),
      words: jsxWords(readFileSync(f, 'utf8'), f),
    }));
    expect(files.length).toBeGreaterThan(10);
    const offending = files.filter((f) => f.words.length > 0 && !NOT_YET_MOVED.has(f.name));
    expect(offending.map((f) => `${f.name}\n  ${f.words.join('\n  ')}`)).toEqual([]);
    const moved = files.filter((f) => f.words.length === 0 && NOT_YET_MOVED.has(f.name)).map((f) => f.name);
    expect(moved, 'these have no JSX words left: take them off NOT_YET_MOVED').toEqual([]);
  });
});
