import { z } from 'zod';
import { isCountryCode, type CountryCode } from './country.js';
import { deepFreeze } from './freeze.js';
import { parse } from './validation.js';

export const SECTORS = [
  'mining-processing',
  'magnet-manufacturing',
  'automotive',
  'electronics',
  'wind-energy',
  'industrial-machinery',
  'medical',
  'semiconductor',
  'aerospace',
  'defence',
  'research',
  'distribution',
  'logistics',
  'government',
  'other',
] as const;
export type Sector = (typeof SECTORS)[number];

export interface PartyIdentifier {
  /** e.g. "LEI", "GSTIN", "USCC" (China unified social credit code), "DUNS", "IEC" (India importer-exporter code). */
  readonly scheme: string;
  readonly value: string;
}

/** A direct owner of a party and its share of the party, in ppm (500000 = 50 %). */
export interface Ownership {
  /** The owner's party id when it is a registered party. */
  readonly partyId?: string;
  readonly name: string;
  readonly country?: CountryCode;
  readonly sharePpm: number;
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
  /** Direct owners (for the 50 % rules: an entity at least half owned by a listed party is treated as listed). */
  readonly owners?: readonly Ownership[];
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
      .array(
        z
          .object({
            scheme: z.string().regex(/^[A-Z][A-Z0-9-]{1,15}$/, 'must be an upper-case scheme such as "LEI"'),
            value: z.string().min(1).max(100),
          })
          .strict(),
      )
      .optional(),
    owners: z
      .array(
        z
          .object({
            partyId: z
              .string()
              .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a party id')
              .optional(),
            name: z.string().trim().min(1).max(300),
            country: z
              .string()
              .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code' })
              .optional(),
            sharePpm: z.custom<number>(
              (v) => Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= 1_000_000,
              { message: 'must be a whole number of ppm between 1 and 1000000' },
            ),
          })
          .strict(),
      )
      .refine((os) => os.reduce((s, o) => s + o.sharePpm, 0) <= 1_000_000, { message: "owners' shares sum past 100 %" })
      .optional(),
  })
  .strict();

export function parseParty(input: unknown, root = 'party'): Party {
  return deepFreeze(parse(partySchema, input, root));
}
