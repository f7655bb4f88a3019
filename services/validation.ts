/**
 * Input validation at the service boundary with one schema library (zod). Every failure becomes a
 * `ValidationError` naming the field and what is allowed.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ValidationError } from './errors.js';

export const MARKINGS = ['OFFICIAL', 'OFFICIAL-SENSITIVE'] as const;
export type Marking = (typeof MARKINGS)[number];

/** Whether an item marked `marking` may be shown where at most `ceiling` may be (MARKINGS is in rank order). */
export function withinCeiling(marking: Marking | undefined, ceiling: Marking): boolean {
  return MARKINGS.indexOf(marking ?? 'OFFICIAL') <= MARKINGS.indexOf(ceiling);
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

export const id = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .positive('must be a positive number');

/** A calendar date written YYYY-MM-DD that exists (2025-02-30 is refused). */
export const isoDate = z
  .string({ error: 'must be a date written YYYY-MM-DD' })
  .trim()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s).isValid,
    'must be a date written YYYY-MM-DD',
  );

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
