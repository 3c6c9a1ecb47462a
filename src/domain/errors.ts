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

/** Bad input: names the field and the reason. Nothing was written. */
export class ValidationError extends LodestoneError<ValidationCode> {
  constructor(field: string, reason: string) {
    super('INVALID_INPUT', `${field}: ${reason}`, { field });
  }
}

export type ArithmeticCode = 'OVERFLOW' | 'CURRENCY_MISMATCH' | 'NEGATIVE_QUANTITY' | 'DIVISION_BY_ZERO';

export class ArithmeticError extends LodestoneError<ArithmeticCode> {}
