/**
 * Maps one parsed source record to a canonical incident with a profile. Bad values reject the record with the
 * field named and what was expected; codes the profile does not know map to `unmapped` and are reported.
 */
import { hash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Marking } from '../validation.js';
import {
  type Grade,
  type HowReported,
  type MappedIncident,
  type NsirChapter,
  type Qualifier,
  type ThriveRisk,
  UNMAPPED,
} from './incident.model.js';
import type { MappingProfile } from './profile.js';
import { createTimeReader } from './time-reader.js';

/** The years an incident's times may fall in: command-and-control records, not history or typos of it. */
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2199;

export type MapResult =
  | {
      readonly ok: true;
      readonly incident: MappedIncident;
      /** The reference was derived from the record's text (unique in the file by construction). */
      readonly derivedReference: boolean;
      /** What a change is judged by: the raw text, or the record without the profile's ignored columns. */
      readonly fingerprint: string;
      readonly unmapped: ReadonlyArray<readonly [string, string]>;
    }
  | { readonly ok: false; readonly field: string; readonly reason: string };

/** NUL, or half of a UTF-16 surrogate pair: neither can be stored as PostgreSQL text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly the character this looks for.
export const NOT_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

class RecordError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Mapper {
  map(record: Readonly<Record<string, string>>, raw: string): MapResult;
}

export function createMapper(profile: MappingProfile): Mapper {
  const patterns = new Map<string, RegExp>();
  // Identical records (no reference column) are told apart by their occurrence in the file, so the derived
  // reference is stable across re-imports of the same file.
  const derivedSeen = new Map<string, number>();
  const times = createTimeReader(profile.timeZone);
  const months = new Map<string, string | null>();

  function code(
    record: Readonly<Record<string, string>>,
    spec: { column: string; codePattern?: string | undefined },
  ): string | null {
    const value = (record[spec.column] ?? '').trim();
    if (value === '') return null;
    if (!spec.codePattern) return value;
    let re = patterns.get(spec.codePattern);
    if (!re) {
      re = new RegExp(spec.codePattern);
      patterns.set(spec.codePattern, re);
    }
    return re.exec(value)?.[1]?.trim() ?? value;
  }

  function lookup<T extends string>(
    record: Readonly<Record<string, string>>,
    field: string,
    spec:
      | {
          column: string;
          codePattern?: string | undefined;
          map: Record<string, T>;
          unlisted: 'unmapped' | 'none';
        }
      | undefined,
    unmapped: Array<readonly [string, string]>,
  ): T | typeof UNMAPPED | null {
    if (!spec) return null;
    const value = code(record, spec);
    if (value === null) return null;
    const mapped = spec.map[value];
    if (mapped !== undefined) return mapped;
    if (spec.unlisted === 'none') return null;
    unmapped.push([field, value]);
    return UNMAPPED;
  }

  function time(
    record: Readonly<Record<string, string>>,
    field: string,
    spec: { column: string; format: string } | undefined,
  ): Date | null {
    if (!spec) return null;
    const value = (record[spec.column] ?? '').trim();
    if (value === '') return null;
    const instant = times.read(value, spec.format);
    if (!instant) {
      throw new RecordError(
        field,
        `column '${spec.column}' has '${value}', expected a time like ${spec.format === 'iso' ? '2016-06-01T08:30:00+01:00' : `'${spec.format}'`}`,
      );
    }
    // Checked here, not left to the database: a year it cannot store (0000, -000001, +010000) would otherwise
    // refuse a whole chunk.
    const year = instant.getUTCFullYear();
    if (!(year >= FIRST_YEAR && year <= LAST_YEAR))
      throw new RecordError(
        field,
        `column '${spec.column}' has '${value}', a time in the year ${year}; times must fall in ${FIRST_YEAR} to ${LAST_YEAR}`,
      );
    return instant;
  }

  function month(
    record: Readonly<Record<string, string>>,
    spec: { column: string; format: string } | undefined,
  ): string | null {
    if (!spec) return null;
    const value = (record[spec.column] ?? '').trim();
    if (value === '') return null;
    // A month-only file holds one or two distinct months: read each once.
    let first = months.get(value);
    if (first === undefined) {
      const dt = DateTime.fromFormat(value, spec.format, { zone: 'UTC' });
      first = dt.isValid ? dt.startOf('month').toISODate() : null;
      if (months.size >= 1000) months.clear();
      months.set(value, first);
    }
    if (first === null)
      throw new RecordError(
        'periodMonth',
        `column '${spec.column}' has '${value}', expected '${spec.format}'`,
      );
    const year = Number(first.slice(0, 4));
    if (!(year >= FIRST_YEAR && year <= LAST_YEAR) || first.length !== 10)
      throw new RecordError(
        'periodMonth',
        `column '${spec.column}' has '${value}'; months must fall in ${FIRST_YEAR} to ${LAST_YEAR}`,
      );
    return first;
  }

  function coordinate(
    record: Readonly<Record<string, string>>,
    field: string,
    spec: { column: string } | undefined,
    limit: number,
  ): number | null {
    if (!spec) return null;
    const value = (record[spec.column] ?? '').trim();
    if (value === '') return null;
    const n = Number(value);
    if (!Number.isFinite(n) || Math.abs(n) > limit) {
      throw new RecordError(
        field,
        `column '${spec.column}' has '${value}', expected a number between -${limit} and ${limit}`,
      );
    }
    return n;
  }

  function text(
    record: Readonly<Record<string, string>>,
    spec: { column: string } | undefined,
  ): string | null {
    if (!spec) return null;
    const value = (record[spec.column] ?? '').trim();
    return value === '' ? null : value;
  }

  const ignored = new Set(profile.ignoreColumns);
  const identity = profile.reference.identity;

  /**
   * The record as a change is judged: its raw text, or, when the profile ignores columns (a row number an export
   * tool adds and renumbers), the other columns' values.
   */
  function fingerprint(record: Readonly<Record<string, string>>, raw: string): string {
    if (ignored.size === 0) return raw;
    return JSON.stringify(Object.entries(record).filter(([name]) => !ignored.has(name)));
  }

  function marking(record: Readonly<Record<string, string>>): Marking {
    const spec = profile.marking;
    if (!spec) return 'OFFICIAL';
    if ('constant' in spec) return spec.constant;
    const value = (record[spec.column] ?? '').trim();
    if (value === '') return spec.empty;
    const mapped = spec.map[value];
    if (mapped) return mapped;
    // Never guessed: a marking the profile does not know might be the most restrictive one.
    throw new RecordError(
      'marking',
      `column '${spec.column}' has '${value}'; the profile knows ${Object.keys(spec.map)
        .map((k) => `'${k}'`)
        .join(', ')} (or empty)`,
    );
  }

  function reference(
    record: Readonly<Record<string, string>>,
    print: string,
  ): { value: string; derived: boolean } {
    const own = profile.reference.column ? (record[profile.reference.column] ?? '').trim() : '';
    if (own !== '') return { value: own, derived: false };
    if (!profile.reference.deriveWhenMissing) {
      throw new RecordError(
        'reference',
        `column '${profile.reference.column}' is empty; every record needs a reference`,
      );
    }
    // The identity columns' values when the profile names them (a later export of the same calls, with other
    // columns changed, keeps its references); else the whole record.
    const basis = identity
      ? JSON.stringify(identity.map((c) => (record[c] ?? '').trim()))
      : print.replace(/\r?\n$/, '');
    const digest = hash('sha256', basis).slice(0, 24);
    const occurrence = (derivedSeen.get(digest) ?? 0) + 1;
    derivedSeen.set(digest, occurrence);
    return { value: `derived:${digest}:${occurrence}`, derived: true };
  }

  return {
    map(record, raw) {
      try {
        // A plain loop over the keys: Object.entries built ten arrays a row, a tenth of an import's allocations.
        for (const name in record) {
          const value = record[name] as string;
          if (value.length > profile.maxFieldLength) {
            throw new RecordError(
              name,
              `column '${name}' is ${value.length} characters long; at most ${profile.maxFieldLength} are allowed`,
            );
          }
          // PostgreSQL text cannot hold NUL, nor a UTF-16 half character (JSON from the API can carry both):
          // refuse the record here rather than fail its whole chunk at the database.
          if (NOT_TEXT.test(value)) {
            throw new RecordError(
              name,
              `column '${name}' holds a NUL character or a broken UTF-16 surrogate; only text is allowed`,
            );
          }
        }
        const unmapped: Array<readonly [string, string]> = [];
        const openedAt = time(record, 'openedAt', profile.times.openedAt);
        const firstDeployedAt = time(record, 'firstDeployedAt', profile.times.firstDeployedAt);
        const arrivedAt = time(record, 'arrivedAt', profile.times.arrivedAt);
        const closedAt = time(record, 'closedAt', profile.times.closedAt);
        const periodMonth = month(record, profile.times.periodMonth);
        if (!openedAt && !firstDeployedAt && !arrivedAt && !closedAt && !periodMonth) {
          throw new RecordError('openedAt', 'the record has no time at all (every time column is empty)');
        }
        const print = fingerprint(record, raw);
        const ref = reference(record, print);
        const qualifiers = new Set<Qualifier>();
        for (const spec of profile.qualifiers) {
          const value = code(record, spec);
          if (value === null) continue;
          for (const part of spec.split ? value.split(spec.split) : [value]) {
            for (const q of spec.map[part.trim()] ?? []) qualifiers.add(q);
          }
        }
        const howReported: HowReported | typeof UNMAPPED | null =
          profile.howReported && 'constant' in profile.howReported
            ? profile.howReported.constant
            : lookup(record, 'howReported', profile.howReported, unmapped);
        const nsirChapter: NsirChapter | typeof UNMAPPED | null =
          profile.nsirChapter && 'constant' in profile.nsirChapter
            ? profile.nsirChapter.constant
            : lookup(record, 'nsirChapter', profile.nsirChapter, unmapped);
        const incident: MappedIncident = {
          source: profile.source,
          reference: ref.value,
          openedAt,
          firstDeployedAt,
          arrivedAt,
          closedAt,
          periodMonth,
          howReported,
          gradeInitial: lookup<Grade>(record, 'gradeInitial', profile.gradeInitial, unmapped),
          gradeFinal: lookup<Grade>(record, 'gradeFinal', profile.gradeFinal, unmapped),
          forceGradeInitial: profile.gradeInitial ? code(record, profile.gradeInitial) : null,
          forceGradeFinal: profile.gradeFinal ? code(record, profile.gradeFinal) : null,
          openingTypeCode: profile.openingType ? code(record, profile.openingType) : null,
          closingTypeCode: profile.closingType ? code(record, profile.closingType) : null,
          nsirChapter,
          qualifiers: [...qualifiers].sort(),
          area: text(record, profile.area),
          beat: text(record, profile.beat),
          ward: text(record, profile.ward),
          latitude: coordinate(record, 'latitude', profile.latitude, 90),
          longitude: coordinate(record, 'longitude', profile.longitude, 180),
          thriveRisk: lookup<ThriveRisk>(record, 'thriveRisk', profile.thriveRisk, unmapped),
          critical: profile.critical
            ? profile.critical.values.includes((record[profile.critical.column] ?? '').trim())
            : false,
          units: profile.units && text(record, profile.units) ? [text(record, profile.units) as string] : [],
          marking: marking(record),
          raw,
        };
        return { ok: true, incident, derivedReference: ref.derived, fingerprint: print, unmapped };
      } catch (error) {
        if (error instanceof RecordError) return { ok: false, field: error.field, reason: error.message };
        throw error;
      }
    },
  };
}

/** Merges a further record of the same incident (one row per attending unit): units and raw lines accumulate. */
export function mergeIncidents(into: MappedIncident, next: MappedIncident): MappedIncident {
  const earliest = (a: Date | null, b: Date | null) => (a && b ? (a <= b ? a : b) : (a ?? b));
  return {
    ...into,
    openedAt: earliest(into.openedAt, next.openedAt),
    units: [...new Set([...into.units, ...next.units])].sort(),
    qualifiers: [...new Set([...into.qualifiers, ...next.qualifiers])].sort(),
    critical: into.critical || next.critical,
    // A merged incident carries the most restrictive marking of its rows.
    marking:
      into.marking === 'OFFICIAL-SENSITIVE' || next.marking === 'OFFICIAL-SENSITIVE'
        ? 'OFFICIAL-SENSITIVE'
        : 'OFFICIAL',
    raw: into.raw.endsWith('\n') ? into.raw + next.raw : `${into.raw}\n${next.raw}`,
  };
}
