import { LodestoneError } from '../domain/index.js';

export type RulePackCode = 'INVALID_RULE_PACK' | 'DUPLICATE_RULE_PACK' | 'UNKNOWN_REFERENCE';

/** A rule pack that cannot be loaded: names the file, the line and the field. */
export class RulePackError extends LodestoneError<RulePackCode> {}
