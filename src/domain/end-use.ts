/**
 * Declared end uses, as a closed vocabulary that licensing policy rules can test. An application
 * or certificate declares one or more purposes beside its free-text description.
 */
export const END_USE_PURPOSES = [
  'civil-automotive',
  'civil-industrial',
  'wind-energy',
  'electronics',
  'medical',
  'research',
  'humanitarian',
  'advanced-semiconductor',
  'military-ai',
  'military',
  'wmd',
  'terrorism',
] as const;
export type EndUsePurpose = (typeof END_USE_PURPOSES)[number];

export interface EndUse {
  readonly description: string;
  readonly purposes: readonly EndUsePurpose[];
  /** What the items go into, e.g. "EV traction motors". */
  readonly endProduct?: string;
  /** The end user's declared need per year, grams (monitored: receipts beyond it raise a red flag). */
  readonly annualNeedGrams?: number;
}
