/**
 * Typed errors with a closed union of codes. The domain, the rules and the use cases throw these;
 * only the edges (CLI, HTTP) translate a code into an exit status or an HTTP status.
 */
export class LodestoneError<C extends string = string> extends Error {
  readonly code: C;
  /** The input field the error is about, as a dotted path (`item.composition.Dy`), when there is one. */
  readonly field: string | undefined;

  constructor(code: C, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field;
  }
}

export type ValidationCode = 'INVALID_INPUT';

/** One thing wrong with an input: the field (a dotted path or JSON Pointer) and why. */
export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

/**
 * Bad input: names the field and the reason. Nothing was written. An input with several faults (an
 * EPCIS document against its schema) lists all of them in `errors`, the first being the one the
 * message names; the edges present that list the same way (the CLI one line each, HTTP problem
 * details an `errors` member of {field, reason}).
 */
export class ValidationError extends LodestoneError<ValidationCode> {
  readonly errors: readonly FieldError[];

  constructor(field: string, reason: string, more: readonly FieldError[] = []) {
    super('INVALID_INPUT', `${field}: ${reason}`, { field });
    this.errors = [{ field, reason }, ...more];
  }
}

export type ArithmeticCode = 'OVERFLOW' | 'CURRENCY_MISMATCH' | 'NEGATIVE_QUANTITY' | 'DIVISION_BY_ZERO';

export class ArithmeticError extends LodestoneError<ArithmeticCode> {}
