/**
 * Input validation at the service boundary with one schema library (zod). Every failure becomes a
 * `ValidationError` naming the field and what is allowed.
 */
import { z } from 'zod';
import { ValidationError } from './errors.js';
import { isCalendarDate } from './time.js';

export const MARKINGS = ['OFFICIAL', 'OFFICIAL-SENSITIVE'] as const;
export type Marking = (typeof MARKINGS)[number];

/** Whether an item marked `marking` may be shown where at most `ceiling` may be (MARKINGS is in rank order). */
export function withinCeiling(marking: Marking | undefined, ceiling: Marking): boolean {
  // A marking this code does not know is taken as above every ceiling.
  const rank = MARKINGS.indexOf(marking ?? 'OFFICIAL');
  return rank !== -1 && rank <= MARKINGS.indexOf(ceiling);
}

/** The highest marking of `items` (OFFICIAL for none): the marking of a document that holds them all. */
export function highestMarking(items: Iterable<{ readonly marking?: Marking | undefined }>): Marking {
  let highest: Marking = 'OFFICIAL';
  for (const item of items)
    if (MARKINGS.indexOf(item.marking ?? 'OFFICIAL') > MARKINGS.indexOf(highest))
      highest = item.marking as Marking;
  return highest;
}

// Control characters other than tab/newline/carriage return are refused: PostgreSQL cannot store NUL in text
// or jsonb, and the others only ever arrive by mistake or malice.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point of this pattern is to find control characters.
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Required free text, trimmed, 1..max characters. */
export function text(max: number) {
  return z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters');
}

/** Optional free text: empty strings become null. */
export function optionalText(max: number) {
  return z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters')
    .transform((s) => (s === '' ? null : s))
    .nullish()
    .transform((s) => s ?? null);
}

/** The largest id a record can have (PostgreSQL `integer`): anything above names no record. */
export const MAX_ID = 2_147_483_647;

export const id = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .positive('must be a positive number')
  .max(MAX_ID, `must be at most ${MAX_ID}`);

/** Whether `value` can be the id of a stored record; callers answer "not found" for any other number. */
export function isStorableId(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0 && value <= MAX_ID;
}

/**
 * A submission key: what a card (or a platform's message id) carries so that a repeat of the same submission
 * changes nothing. Letters, digits and `:_.-` only, 8 to 120 characters.
 */
export const submissionKey = z
  .string()
  .regex(/^[A-Za-z0-9:_.-]{8,120}$/, 'must be 8 to 120 letters, digits or :_.-')
  .optional();

/** A calendar date written YYYY-MM-DD that exists (2025-02-30 is refused). */
export const isoDate = z
  .string({ error: 'must be a date written YYYY-MM-DD' })
  .trim()
  .refine((s) => isCalendarDate(s), 'must be a date written YYYY-MM-DD');

export const marking = z.enum(MARKINGS, { error: `must be one of ${MARKINGS.join(', ')}` });

/** Parses `input` against `schema`, throwing a `ValidationError` that names each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.join('.') : '(input)',
      message: issue.message,
    })),
  );
}

/** A refinement for a record whose keys must be among `allowed`: an issue per other key, naming it and the list. */
export function onlyKeys(allowed: readonly string[], what: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    for (const key of Object.keys(value))
      if (!allowed.includes(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `'${key}' is not a ${what}; allowed: ${allowed.join(', ')}`,
        });
  };
}
