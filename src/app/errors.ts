import { LodestoneError } from '../domain/index.js';

export type AppCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FORBIDDEN'
  | 'KEY_MISSING'
  | 'JOURNAL_INVALID'
  | 'UNKNOWN_RECORD_TYPE'
  | 'CERTIFICATE_REFUSED'
  | 'UNAUTHENTICATED'
  | 'REPLAYED'
  | 'CREDENTIAL_PRIVILEGE';

/** A use case refused: the party, record or key is not there, not allowed, or already there. */
export class AppError extends LodestoneError<AppCode> {}

/** An export, transfer or transformation the rules forbid: each refusal names its rule and the chain behind it. */
export class RefusedError extends LodestoneError<'REFUSED'> {
  constructor(
    readonly refusals: readonly {
      readonly rule: string;
      readonly message: string;
      readonly chain?: readonly string[];
    }[],
  ) {
    super('REFUSED', refusals.map((r) => `refused (${r.rule}): ${r.message}`).join('\n'));
  }
}
