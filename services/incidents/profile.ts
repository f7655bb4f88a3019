/**
 * Mapping profiles: one JSON file per source in `services/incidents/profiles/`, validated here. A profile names
 * the columns a file must have, how to build the reference, how to read times (format and zone) and the code
 * tables that map the force's own codes to the canonical grade, NSIR chapter, qualifiers and THRIVE risk.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isValidTimeZone } from '../time.js';
import { MARKINGS } from '../validation.js';
import { GRADES, HOW_REPORTED, NSIR_CHAPTERS, QUALIFIERS, THRIVE_RISKS } from './incident.model.js';

const PROFILE_DIR = path.join(import.meta.dirname, 'profiles');

const column = z.string().min(1).describe('a column name of the file (as in its header row)');

/** Edit distance, to name the valid key nearest to a misspelt one (`opening_type` -> `openingType`). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[y.length] as number;
}

/** The valid key nearest to `key`, when it is near enough to be what was meant. */
export function nearestKey(key: string, valid: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const candidate of valid) {
    const d = distance(key.replace(/[_\-\s]/g, ''), candidate);
    if (!best || d < best.d) best = { key: candidate, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.key.length / 3)) ? best.key : undefined;
}

/**
 * An object that refuses keys it does not know, naming the nearest valid one: a misspelt key would otherwise be
 * dropped and the import "succeed" without it.
 */
function strict<T extends z.ZodRawShape>(shape: T) {
  const valid = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const near = nearestKey(key, valid);
          return `unknown key '${key}': ${near ? `did you mean '${near}'?` : `valid keys here are ${valid.join(', ')}`}`;
        })
        .join('; ');
    },
  });
}

/** A regular expression with a capture group, checked when the profile is loaded rather than mid-import. */
const codePattern = z
  .string()
  .refine((pattern) => {
    try {
      // Matching the empty string through an empty alternative gives one entry per capture group, plus one.
      return (new RegExp(`${pattern}|`).exec('')?.length ?? 0) > 1;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression with a capture group, e.g. "^(\\S+?)\\s*-\\s"')
  .describe(
    'a regular expression whose first capture group is the code, e.g. "^(\\S+?)\\s*-\\s" takes "6X" from "6X - Major Dist"',
  );

/** A column read as a code: optionally the first capture group of `codePattern` (e.g. "6X" from "6X - Major Dist"). */
const codeColumn = { column, codePattern: codePattern.optional() };

const timeField = strict({
  column,
  format: z
    .string()
    .min(1)
    .describe(
      '`iso` (ISO 8601; an offset in the value wins over timeZone) or a luxon format made of luxon tokens, e.g. `MM/dd/yyyy hh:mm:ss a` (see https://moment.github.io/luxon/#/parsing?id=table-of-tokens)',
    ),
}).describe('a time column and how to read it');

const unlisted = z
  .enum(['unmapped', 'none'])
  .default('unmapped')
  .describe(
    'a code missing from `map`: stored as `unmapped` and reported (default), or `none`: no value (partial tables)',
  );

/**
 * A code table. `unlisted: "unmapped"` (the default) stores a code missing from the table as `unmapped` and
 * reports it; `unlisted: "none"` is for partial tables (e.g. only the codes that imply high THRIVE risk), where
 * a missing code simply carries no value.
 */
function codeTable<T extends readonly [string, ...string[]]>(values: T, what: string) {
  return strict({
    ...codeColumn,
    map: z
      .record(z.string(), z.enum(values))
      .describe(`the source's codes -> ${what} (${values.join(', ')})`),
    unlisted,
  }).describe(`a code table: the column's codes mapped to ${what}`);
}

function constantOr<T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z
    .union([
      strict({ constant: z.enum(values).describe(`the ${what} of every record`) }),
      codeTable(values, what),
    ])
    .describe(`{"constant": value} for every record, or a code table`);
}

const textColumn = (what: string) => strict({ column }).describe(what);

export const profileSchema = strict({
  name: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .describe("the profile's name (lower-case letters, digits, dashes)"),
  source: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .describe('names the source; references are unique per unit and source'),
  description: z.string().describe('what the source is and how it is read (shown by `dmm import profiles`)'),
  encoding: z
    .enum(['utf-8', 'latin1'])
    .default('utf-8')
    .describe('the file encoding (latin1 = Windows-1252)'),
  delimiter: z.string().length(1).default(',').describe('the field delimiter'),
  timeZone: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London')
    .describe('IANA zone of times written without an offset, e.g. Europe/London'),
  requiredColumns: z.array(column).min(1).describe('columns the header must have, else the file is refused'),
  reference: strict({
    column: column.optional().describe("the source's own incident reference"),
    deriveWhenMissing: z
      .boolean()
      .default(false)
      .describe('derive a reference when the column is absent or empty (see "Derived references")'),
    identity: z
      .array(column)
      .min(1)
      .optional()
      .describe(
        'columns whose values make an incident the same incident (for a derived reference), e.g. opened time, type and location; each must be in requiredColumns',
      ),
  }).describe("the record's reference, or how to derive one"),
  ignoreColumns: z
    .array(z.string())
    .default([])
    .describe(
      'columns left out of the derived reference and of the change check (e.g. pandas\' unnamed index column, "")',
    ),
  merge: z
    .boolean()
    .default(false)
    .describe('merge records sharing a reference into one incident (one row per attending unit)'),
  maxFieldLength: z.number().int().positive().default(2000).describe('longest field accepted, in characters'),
  times: strict({
    openedAt: timeField.optional(),
    firstDeployedAt: timeField.optional(),
    arrivedAt: timeField.optional(),
    closedAt: timeField.optional(),
    periodMonth: timeField
      .optional()
      .describe('a month-only time (no day): counts in monthly baselines only'),
  })
    .refine((t) => Object.keys(t).length > 0, 'at least one time column is needed')
    .describe('the time columns; the best known time (opened, deployed, arrived, closed) places an incident'),
  howReported: constantOr(HOW_REPORTED, 'how reported').optional(),
  gradeInitial: codeTable(GRADES, 'the initial grade').optional(),
  gradeFinal: codeTable(GRADES, 'the final grade').optional(),
  openingType: strict(codeColumn)
    .optional()
    .describe('the opening (call) type code, kept as the source has it'),
  closingType: strict(codeColumn).optional().describe('the closing type code, kept as the source has it'),
  nsirChapter: constantOr(NSIR_CHAPTERS, 'NSIR chapter').optional(),
  qualifiers: z
    .array(
      strict({
        ...codeColumn,
        split: z.string().min(1).optional().describe('separator of a multi-valued column, e.g. ";"'),
        map: z
          .record(z.string(), z.array(z.enum(QUALIFIERS)))
          .describe(`the source's codes -> lists of qualifiers (${QUALIFIERS.join(', ')})`),
      }),
    )
    .default([])
    .describe('code tables that add qualifiers; a code with no entry carries none'),
  thriveRisk: codeTable(THRIVE_RISKS, 'THRIVE risk').optional(),
  critical: strict({
    column,
    values: z.array(z.string()).describe('values meaning a critical incident, e.g. ["Y"]'),
  })
    .optional()
    .describe('the column that flags a critical incident'),
  marking: z
    .union([
      strict({ constant: z.enum(MARKINGS).describe('the marking of every record') }),
      strict({
        column,
        map: z
          .record(z.string(), z.enum(MARKINGS))
          .describe(
            `the source's values -> markings (${MARKINGS.join(', ')}), e.g. {"Y": "OFFICIAL-SENSITIVE"}`,
          ),
        empty: z.enum(MARKINGS).default('OFFICIAL').describe('the marking of a record whose cell is empty'),
      }),
    ])
    .optional()
    .describe(
      "each record's protective marking (default OFFICIAL): a source's own restricted flag maps here; a value missing from the map rejects the record",
    ),
  area: textColumn('free-text area (neighbourhood, division)').optional(),
  beat: textColumn('beat').optional(),
  ward: textColumn('ward').optional(),
  latitude: textColumn('latitude in decimal degrees').optional(),
  longitude: textColumn('longitude in decimal degrees').optional(),
  units: textColumn('the attending unit (merged profiles collect them)').optional(),
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
/** Files of a profiles directory that are not profiles: the force's brief labels (services/briefs/labels.ts). */
const NOT_PROFILES = new Set(['labels']);

async function namesIn(dir: string | undefined): Promise<string[]> {
  if (!dir) return [];
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.json') && NAME.test(f.slice(0, -5)))
    .map((f) => f.slice(0, -5))
    .filter((name) => !NOT_PROFILES.has(name));
}

/** Names of the installed profiles: the shipped ones and the site's own. */
export async function listProfiles(profilesDir?: string): Promise<string[]> {
  return [...new Set([...(await namesIn(PROFILE_DIR)), ...(await namesIn(profilesDir))])].sort();
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
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
  return parseProfile(json, nameOrPath);
}

/** Validates a parsed profile; every problem is named by its key path, with the value and what is allowed. */
export function parseProfile(json: unknown, label: string): MappingProfile {
  const parsed = profileSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    throw new ProfileError(`Profile ${label} is invalid: ${describeIssues(parsed.error.issues).join('; ')}`);
  }
  return parsed.data;
}

type Issue = z.core.$ZodIssue;

const shown = (value: unknown) =>
  typeof value === 'string' ? `'${value.slice(0, 80)}'` : JSON.stringify(value);

function describeIssues(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    const at = path.length > 0 ? `${path.map(String).join('.')}: ` : '';
    switch (issue.code) {
      case 'invalid_union': {
        // The branch that came closest (fewest problems) says what to fix.
        const branches = [...issue.errors].sort((a, b) => a.length - b.length);
        return branches[0] && branches[0].length > 0
          ? describeIssues(branches[0], path)
          : [`${at}${issue.message}`];
      }
      case 'invalid_value':
        return [
          `${at}${shown(issue.input)} is not allowed; expected one of: ${issue.values.map((v) => String(v)).join(', ')}`,
        ];
      case 'invalid_type':
        return [
          issue.input === undefined
            ? `${at}is required (${issue.expected})`
            : `${at}expected ${issue.expected}, got ${shown(issue.input)}`,
        ];
      default:
        return [`${at}${issue.message}`];
    }
  });
}
