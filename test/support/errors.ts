import { expect } from 'vitest';
import { LodestoneError } from '../../src/domain/index.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** Runs `fn`, expects it to throw an instance of `cls` with `code`, and returns the error for further checks. */
export function expectThrowsCode<E extends LodestoneError>(fn: () => unknown, cls: ErrorClass<E>, code: E['code']): E {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  return checkError(thrown, cls, code);
}

/** Awaits `promise`, expects it to reject with an instance of `cls` with `code`, and returns the error. */
export async function expectRejectsCode<E extends LodestoneError>(
  promise: Promise<unknown>,
  cls: ErrorClass<E>,
  code: E['code'],
): Promise<E> {
  let thrown: unknown;
  try {
    await promise;
  } catch (e) {
    thrown = e;
  }
  return checkError(thrown, cls, code);
}

function checkError<E extends LodestoneError>(thrown: unknown, cls: ErrorClass<E>, code: E['code']): E {
  if (thrown === undefined) expect.fail(`expected ${cls.name}(${code}) to be thrown, but nothing was thrown`);
  if (!(thrown instanceof cls)) {
    expect.fail(
      `expected ${cls.name}(${code}), got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : JSON.stringify(thrown)}`,
    );
  }
  expect(thrown.code, thrown.message).toBe(code);
  return thrown;
}
