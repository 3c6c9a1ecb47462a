import { LodestoneError } from '../domain/index.js';

export type AppCode = 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FORBIDDEN' | 'KEY_MISSING' | 'JOURNAL_INVALID' | 'UNKNOWN_RECORD_TYPE';

/** A use case refused: the party, record or key is not there, not allowed, or already there. */
export class AppError extends LodestoneError<AppCode> {}
