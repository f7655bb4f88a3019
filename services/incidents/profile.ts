/**
 * Mapping profiles: one JSON file per source in `services/incidents/profiles/`, validated here. A profile names
 * the columns a file must have, how to build the reference, how to read times (format and zone) and the code
 * tables that map the force's own codes to the canonical grade, NSIR chapter, qualifiers and THRIVE risk.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isValidTimeZone } from '../time.js';
import { GRADES, HOW_REPORTED, NSIR_CHAPTERS, QUALIFIERS, THRIVE_RISKS } from './incident.model.js';

const PROFILE_DIR = path.join(import.meta.dirname, 'profiles');

const column = z.string().min(1);

/** A column read as a code: optionally the first capture group of `codePattern` (e.g. "6X" from "6X - Major Dist"). */
const codeColumn = z.object({ column, codePattern: z.string().optional() });

const timeField = z.object({
  column,
  /** `iso` (offset in the value wins over the profile zone) or a luxon format such as `MM/dd/yyyy hh:mm:ss a`. */
  format: z.string().min(1),
});

/**
 * A code table. `unlisted: "unmapped"` (the default) stores a code missing from the table as `unmapped` and
 * reports it; `unlisted: "none"` is for partial tables (e.g. only the codes that imply high THRIVE risk), where
 * a missing code simply carries no value.
 */
function codeTable<T extends readonly [string, ...string[]]>(values: T) {
  return codeColumn.extend({
    map: z.record(z.string(), z.enum(values)),
    unlisted: z.enum(['unmapped', 'none']).default('unmapped'),
  });
}

export const profileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/),
    source: z.string().regex(/^[a-z0-9-]+$/),
    description: z.string(),
    encoding: z.enum(['utf-8', 'latin1']).default('utf-8'),
    delimiter: z.string().length(1).default(','),
    timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone'),
    requiredColumns: z.array(column).min(1),
    /** The record's reference, or a derived one (see docs/incident-import.md) when the column is absent or empty. */
    reference: z.object({ column: column.optional(), deriveWhenMissing: z.boolean().default(false) }),
    /** Merge records sharing a reference into one incident (one row per attending unit). */
    merge: z.boolean().default(false),
    maxFieldLength: z.number().int().positive().default(2000),
    times: z
      .object({
        openedAt: timeField.optional(),
        firstDeployedAt: timeField.optional(),
        arrivedAt: timeField.optional(),
        closedAt: timeField.optional(),
        periodMonth: timeField.optional(),
      })
      .refine((t) => Object.keys(t).length > 0, 'at least one time column is needed'),
    howReported: z.union([z.object({ constant: z.enum(HOW_REPORTED) }), codeTable(HOW_REPORTED)]).optional(),
    gradeInitial: codeTable(GRADES).optional(),
    gradeFinal: codeTable(GRADES).optional(),
    openingType: codeColumn.optional(),
    closingType: codeColumn.optional(),
    nsirChapter: z
      .union([z.object({ constant: z.enum(NSIR_CHAPTERS) }), codeTable(NSIR_CHAPTERS)])
      .optional(),
    /** Codes that carry qualifiers; a code with no entry simply carries none. `split` reads a multi-valued column. */
    qualifiers: z
      .array(
        codeColumn.extend({
          split: z.string().optional(),
          map: z.record(z.string(), z.array(z.enum(QUALIFIERS))),
        }),
      )
      .default([]),
    thriveRisk: codeTable(THRIVE_RISKS).optional(),
    critical: z.object({ column, values: z.array(z.string()) }).optional(),
    area: z.object({ column }).optional(),
    beat: z.object({ column }).optional(),
    ward: z.object({ column }).optional(),
    latitude: z.object({ column }).optional(),
    longitude: z.object({ column }).optional(),
    units: z.object({ column }).optional(),
  })
  .refine((p) => p.reference.column || p.reference.deriveWhenMissing, {
    message: 'give reference.column, or set reference.deriveWhenMissing',
    path: ['reference'],
  });

export type MappingProfile = z.output<typeof profileSchema>;

/** Names of the shipped profiles. */
export async function listProfiles(): Promise<string[]> {
  const files = await fs.readdir(PROFILE_DIR);
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export class ProfileError extends Error {
  readonly code = 'PROFILE_INVALID';
}

/** Loads and validates a shipped profile by name, or a profile file by path (ends in .json). */
export async function loadProfile(nameOrPath: string): Promise<MappingProfile> {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : path.join(PROFILE_DIR, `${nameOrPath}.json`);
  if (!nameOrPath.endsWith('.json') && !/^[a-z0-9-]+$/.test(nameOrPath)) {
    throw new ProfileError(
      `Unknown profile '${nameOrPath}'. Shipped profiles: ${(await listProfiles()).join(', ')}.`,
    );
  }
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ProfileError(
      `Unknown profile '${nameOrPath}'. Shipped profiles: ${(await listProfiles()).join(', ')}.`,
    );
  }
  const parsed = profileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new ProfileError(
      `Profile ${nameOrPath} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
