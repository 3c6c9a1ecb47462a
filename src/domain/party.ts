import { z } from 'zod';
import { isCountryCode, type CountryCode } from './country.js';
import { deepFreeze } from './freeze.js';
import { parse } from './validation.js';

export const SECTORS = [
  'mining-processing', 'magnet-manufacturing', 'automotive', 'electronics', 'wind-energy', 'industrial-machinery',
  'medical', 'semiconductor', 'aerospace', 'defence', 'research', 'distribution', 'logistics', 'government', 'other',
] as const;
export type Sector = (typeof SECTORS)[number];

export interface PartyIdentifier {
  /** e.g. "LEI", "GSTIN", "USCC" (China unified social credit code), "DUNS", "IEC" (India importer-exporter code). */
  readonly scheme: string;
  readonly value: string;
}

/** A legal person or an authority that takes part in a record. */
export interface Party {
  readonly id: string;
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly country: CountryCode;
  readonly sector?: Sector;
  readonly address?: string;
  readonly identifiers?: readonly PartyIdentifier[];
}

export const partyIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2–63 lower-case letters, digits or hyphens, such as "baotou-magnets"');

export const partySchema: z.ZodType<Party> = z
  .object({
    id: partyIdSchema,
    name: z.string().trim().min(1, 'must not be empty').max(300),
    aliases: z.array(z.string().trim().min(1).max(300)).optional(),
    country: z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "IN"' }),
    sector: z.enum(SECTORS).optional(),
    address: z.string().max(500).optional(),
    identifiers: z
      .array(z.object({ scheme: z.string().regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'must be an upper-case scheme such as "LEI"'), value: z.string().min(1).max(100) }).strict())
      .optional(),
  })
  .strict();

export function parseParty(input: unknown, root = 'party'): Party {
  return deepFreeze(parse(partySchema, input, root));
}
