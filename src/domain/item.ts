import { z } from 'zod';
import { type Composition, composition as toComposition } from './composition.js';
import { type CountryCode, isCountryCode } from './country.js';
import { deepFreeze } from './freeze.js';
import { ValidationError } from './errors.js';
import { isCurrency, isSafeNonNegativeInteger, type Money } from './quantities.js';
import { parse, wholeGrams } from './validation.js';

export const ITEM_FORMS = [
  'metal',
  'alloy',
  'oxide',
  'compound',
  'magnet',
  'target',
  'component',
  'product',
  'technology',
  'equipment',
] as const;
export type ItemForm = (typeof ITEM_FORMS)[number];

export const MAGNET_FAMILIES = ['NdFeB', 'SmCo', 'Ce'] as const;
export type MagnetFamily = (typeof MAGNET_FAMILIES)[number];

/**
 * A thing that may be controlled: a material, a magnet, a part, a product or a technology.
 * Plain data (it is what files, the API and the journal carry), validated by `parseItem`.
 */
export interface Item {
  readonly description?: string;
  readonly form: ItemForm;
  /** Finer kind within the form, e.g. "rotor-assembly", "stator-assembly", "sensor-assembly", "phosphor". */
  readonly category?: string;
  readonly magnetFamily?: MagnetFamily;
  /** Commercial grade, e.g. "N42SH" for NdFeB or "2:17" for SmCo. */
  readonly grade?: string;
  /** Harmonized System code, 6 to 10 digits, stored without dots. */
  readonly hsCode: string;
  /** Composition by element in ppm by mass. */
  readonly composition: Composition;
  /** ISO country where the item was made (its origin). */
  readonly origin: CountryCode;
  /** Countries whose technology was used to make the item (for foreign-direct-product style rules). */
  readonly technologyOrigins?: readonly CountryCode[];
  readonly massGrams?: number;
  readonly value?: Money;
  /** What the item contains or integrates, with each part's mass, value and origin. */
  readonly components?: readonly Component[];
}

export interface Component {
  readonly item: Item;
  readonly massGrams?: number;
  readonly value?: Money;
}

const countryCode = z
  .string()
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "CN"' });

export const moneySchema = z
  .object({
    currency: z.string().refine(isCurrency, { message: 'must be an ISO 4217 currency code such as "USD"' }),
    minor: z.custom<number>(isSafeNonNegativeInteger, {
      message: 'must be a non-negative whole number of minor units (cents)',
    }),
  })
  .strict();

const compositionSchema = z.unknown().transform((value, ctx): Composition => {
  try {
    return toComposition(value, '');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const [, ...rest] = (e.field ?? '').split('.');
    ctx.addIssue({ code: 'custom', message: e.message.slice((e.field ?? '').length + 2), path: rest });
    return z.NEVER;
  }
});

const hsCode = z
  .string()
  .transform((s) => s.replace(/[.\s]/g, ''))
  .refine((s) => /^\d{6,10}$/.test(s), { message: 'must be an HS code of 6 to 10 digits (dots allowed)' });

export const itemSchema: z.ZodType<Item> = z.lazy(() =>
  z
    .object({
      description: z.string().max(500).optional(),
      form: z.enum(ITEM_FORMS),
      category: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a lower-case kebab-case word such as "rotor-assembly"')
        .optional(),
      magnetFamily: z.enum(MAGNET_FAMILIES).optional(),
      grade: z.string().min(1).max(40).optional(),
      hsCode,
      composition: compositionSchema,
      origin: countryCode,
      technologyOrigins: z.array(countryCode).optional(),
      massGrams: wholeGrams.optional(),
      value: moneySchema.optional(),
      components: z.array(componentSchema).optional(),
    })
    .strict()
    .superRefine((item, ctx) => {
      if (item.magnetFamily !== undefined && item.form !== 'magnet') {
        ctx.addIssue({
          code: 'custom',
          path: ['magnetFamily'],
          message: `is only for form "magnet", not "${item.form}"`,
        });
      }
      if (item.form === 'magnet' && item.magnetFamily === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['magnetFamily'],
          message: 'is required for a magnet (NdFeB, SmCo or Ce)',
        });
      }
      const currencies = new Set(
        [item.value?.currency, ...(item.components ?? []).map((c) => c.value?.currency)].filter((c) => c !== undefined),
      );
      if (currencies.size > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['components'],
          message: `values must share one currency, got ${[...currencies].join(', ')}`,
        });
      }
    }),
);

const componentSchema: z.ZodType<Component> = z
  .object({
    item: itemSchema,
    massGrams: wholeGrams.optional(),
    value: moneySchema.optional(),
  })
  .strict();

/** Validates an item (from a file, the CLI or HTTP) and returns it frozen. */
export function parseItem(input: unknown, root = 'item'): Item {
  return deepFreeze(parse(itemSchema, input, root));
}
