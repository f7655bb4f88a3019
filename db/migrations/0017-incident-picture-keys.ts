/**
 * What the brief reads of every incident of its window, worked out once when the incident is written rather than
 * on every brief (generated columns, so no writer can get them wrong):
 * - `place_key`: where it happened, as precisely as its source says (beat, else ward, else area, as `beat:K2`),
 *   with an index by unit, place and time, so that the incidents behind a repeat location or a series are a few
 *   index reads rather than a scan of the window;
 * - `exception_class`: 1 critical, 2 G1, 3 high THRIVE risk, 4 a threat-to-life or vulnerability qualifier, else 0
 *   (the highest that applies; EXCEPTION_QUALIFIERS in services/incidents/picture.service.ts), with an index of the
 *   exceptions by unit, class and time, so that each class's earliest are read without scanning the window;
 * - `picture_group`: a 128-bit digest (MD5, as a uuid: not for secrecy) of the values the brief counts by (grade,
 *   chapter, type, beat, ward, area, marking), so that a window is counted grouping by one fixed-size value
 *   instead of seven texts (a third of the time). Each value is length-prefixed, so no two combinations of values
 *   give the same text; two giving the same digest is a 1 in 2^128 chance.
 */
import { type Kysely, sql } from 'kysely';

/** The characters trimmed from a place (placeKey in picture.service.ts trims the same). */
const SPACE = `E' \\t\\n\\r\\f\\x0b'`;
const trimmed = (column: string) => `btrim(${column}, ${SPACE})`;
const encoded = (column: string) => `coalesce(length(${column})::text || ':' || ${column}, '-')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `alter table incidents
         add column place_key text generated always as (
           case when ${trimmed('beat')} <> '' then 'beat:' || ${trimmed('beat')}
                when ${trimmed('ward')} <> '' then 'ward:' || ${trimmed('ward')}
                when ${trimmed('area')} <> '' then 'area:' || ${trimmed('area')} end) stored,
         add column exception_class smallint not null generated always as (
           case when critical then 1
                when grade_initial = 'G1_EMERGENCY' then 2
                when thrive_risk = 'high' then 3
                when qualifiers && array['missing_person', 'domestic', 'mental_health', 'child_protection', 'hate',
                                         'firearm']::text[] then 4
                else 0 end) stored,
         add column picture_group uuid not null generated always as (
           md5(${['grade_initial', 'nsir_chapter', 'opening_type_code', 'beat', 'ward', 'area', 'marking']
             .map(encoded)
             .join(` || '|' || `)})::uuid) stored`,
    )
    .execute(db);
  await sql
    .raw(`create index incidents_unit_place_event_idx on incidents (unit_id, place_key, event_at)`)
    .execute(db);
  await sql
    .raw(
      `create index incidents_unit_exception_event_idx on incidents (unit_id, exception_class, event_at)
         where exception_class > 0`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`drop index incidents_unit_exception_event_idx`).execute(db);
  await sql.raw(`drop index incidents_unit_place_event_idx`).execute(db);
  await sql
    .raw(
      `alter table incidents drop column place_key, drop column exception_class, drop column picture_group`,
    )
    .execute(db);
}
