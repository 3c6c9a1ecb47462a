import { readFileSync } from 'node:fs';
import { nulPath, parseJsonText, ValidationError } from '../domain/index.js';

/** Reads a text file named on the command line; a missing or unreadable file is bad input naming it. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValidationError(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Reads and parses a JSON file named on the command line, naming the file on any error. */
export function readJsonFile(path: string): unknown {
  const value = parseJsonText(readTextFile(path), path);
  const nul = nulPath(value, '');
  if (nul !== undefined)
    throw new ValidationError(nul === '' ? path : `${path}: ${nul.slice(1)}`, 'must not contain the character U+0000');
  return value;
}
