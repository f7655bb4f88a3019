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
    reference: z.object({
      column: column.optional(),
      deriveWhenMissing: z.boolean().default(false),
      identity: z.array(column).min(1).optional(),
    }),
    ignoreColumns: z.array(z.string()).default([]),
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
  })
  .superRefine((p, ctx) => {
    // An identity column a file may lack would make every record of such a file the same incident.
    for (const [i, c] of (p.reference.identity ?? []).entries()) {
      if (!p.requiredColumns.includes(c))
        ctx.addIssue({
          code: 'custom',
          path: ['reference', 'identity', i],
          message: `identity column '${c}' must also be listed in requiredColumns`,
        });
      if (p.ignoreColumns.includes(c))
        ctx.addIssue({
          code: 'custom',
          path: ['reference', 'identity', i],
          message: `identity column '${c}' cannot also be in ignoreColumns`,
        });
    }
    if (p.reference.column && p.ignoreColumns.includes(p.reference.column))
      ctx.addIssue({
        code: 'custom',
        path: ['ignoreColumns'],
        message: `the reference column '${p.reference.column}' cannot be ignored`,
      });
  });

export type MappingProfile = z.output<typeof profileSchema>;

/** Where profiles are installed: the shipped ones, and the site's own directory when configured. */
export interface ProfileOptions {
  /** The site's own profiles (`DMM_PROFILES_DIR`), looked up by name after the shipped ones. */
  readonly profilesDir?: string | undefined;
  /**
   * Whether a path to a `.json` file may be given (the CLI, run by the operator on their own machine). Never over
   * HTTP: a caller must not make the service read a file it names, nor learn whether one exists.
   */
  readonly allowPaths?: boolean;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

async function namesIn(dir: string | undefined): Promise<string[]> {
  if (!dir) return [];
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.json') && NAME.test(f.slice(0, -5))).map((f) => f.slice(0, -5));
}

/** Names of the installed profiles: the shipped ones and the site's own. */
export async function listProfiles(profilesDir?: string): Promise<string[]> {
  return [...new Set([...(await namesIn(PROFILE_DIR)), ...(await namesIn(profilesDir))])].sort();
}

export class ProfileError extends Error {
  readonly code = 'PROFILE_INVALID';
}

/**
 * Loads and validates an installed profile by name (shipped first, then the site's directory), or, where
 * `allowPaths`, a profile file by path (ends in .json). An unknown name and any path where paths are not allowed
 * get the same answer, which names the installed profiles.
 */
export async function loadProfile(nameOrPath: string, options: ProfileOptions = {}): Promise<MappingProfile> {
  const { profilesDir, allowPaths = true } = options;
  const unknown = async () =>
    new ProfileError(
      `Unknown profile '${nameOrPath.slice(0, 80)}'. Installed profiles: ${(await listProfiles(profilesDir)).join(', ')}.`,
    );
  let file: string | undefined;
  if (allowPaths && nameOrPath.endsWith('.json')) file = nameOrPath;
  else if (NAME.test(nameOrPath)) {
    for (const dir of [PROFILE_DIR, profilesDir]) {
      if (dir && (await namesIn(dir)).includes(nameOrPath)) {
        file = path.join(dir, `${nameOrPath}.json`);
        break;
      }
    }
  }
  if (!file) throw await unknown();
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw await unknown();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProfileError(`Profile ${nameOrPath} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = profileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProfileError(
      `Profile ${nameOrPath} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
