/**
 * Imports incidents from a CSV file through a mapping profile. Idempotent on (unit, source, reference): a re-import
 * of the same file changes nothing; a changed record updates its incident and the change is audited with
 * before and after. Every record that cannot be imported is kept (batch, row and line number, raw text, reason
 * naming the field) and the good records around it are imported.
 *
 * A file-level problem (empty, binary, wrong encoding, wrong column set) is found before any incident is
 * written. Writes go in chunks, each chunk with its rejects and audit event in one transaction; an interrupted
 * import is completed by running it again.
 */
import { hash } from 'node:crypto';
import path from 'node:path';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, ImportBatchRow, IncidentRow } from '../../db/database.js';
import { type Actor, createSystemActor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import { markBriefsStale } from '../briefs/brief.service.js';
import type { Clock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import type { UnitService } from '../units/unit.service.js';
import { type CsvItem, ImportFileError, readCsv, readCsvBatches, scanFile } from './csv-reader.js';
import { FirstRows } from './first-rows.js';
import type { MappedIncident } from './incident.model.js';
import { createMapper, type Mapper, type MapResult, mergeIncidents, NOT_TEXT } from './mapper.js';
import { loadProfile, type MappingProfile } from './profile.js';
import { beginIncidentWrite, dropWindowsBetween } from './window-counts.js';

export { ImportFileError };

// Rows per write. Each column travels as one array parameter (27 parameters whatever the size), so the size is
// set by speed and memory: 2,000 rows was 8% faster than 1,000 for 17 MB more at peak (bench, 400,000 rows).
const CHUNK = 2000;
// Chunks being written at once: the database inserts one while the next one travels and commits. Three was 3-4%
// faster than two once reading and mapping got cheaper (1,000,000 rows, four runs alternating), for ~10 MB more.
const WRITERS = 3;
// Rows read between two turns of the event loop (see runImport).
const YIELD_EVERY = 50;
// Advisory lock class of a running import (the batch id is the key): held by the importing session.
const IMPORT_LOCK_CLASS = 0x444d49;
const systemActor = createSystemActor('system:import-recovery');
const INTERRUPTED =
  'interrupted: the process stopped before the import finished. The counts are what was stored; import the same file again to complete it (re-imports are idempotent).';

export interface ImportSummary {
  readonly batchId: number;
  readonly status: 'completed' | 'failed' | 'interrupted';
  readonly failure: string | null;
  /** Data rows read (records and unreadable stretches); read = inserted + updated + unchanged + merged + rejected. */
  readonly read: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Rows folded into another row of the same incident (one row per attending unit). */
  readonly merged: number;
  readonly rejected: number;
  /** Codes the profile does not know, per field, with how often each was seen; they were stored as `unmapped`. */
  readonly unmapped: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface ImportReject {
  readonly rowNumber: number;
  readonly lineNumber: number;
  readonly field: string | null;
  readonly reason: string;
  readonly raw: string;
}

export interface ImportOptions {
  readonly unitId: number;
  /** An installed profile's name, or a path to a profile JSON file (the CLI). */
  readonly profile: string;
  /** The site's own profiles, found by name beside the shipped ones. */
  readonly profilesDir?: string | undefined;
  readonly file: string;
  readonly encoding?: 'utf-8' | 'latin1';
  readonly onProgress?: (progress: { bytes: number; totalBytes: number; rows: number }) => void;
}

/** What happened to one record of an API import. */
export type RecordOutcome =
  | { readonly status: 'inserted' | 'updated' | 'unchanged' | 'merged'; readonly reference?: string }
  | { readonly status: 'rejected'; readonly field: string | null; readonly reason: string };

export interface RecordImportOptions {
  readonly unitId: number;
  /** A shipped profile's name, or a profile the caller loaded (the ingest API loads installed ones by name). */
  readonly profile: string | MappingProfile;
  /** Names the batch (e.g. `api:<token name>`). */
  readonly label: string;
  /** Records keyed by the profile's column names, each with its verbatim source text. */
  readonly records: ReadonlyArray<{
    readonly record: unknown;
    readonly raw: string;
    readonly error?: string;
  }>;
}

export interface IncidentImportService {
  importFile(actor: Actor, options: ImportOptions): Promise<ImportSummary>;
  /** Imports records already split (the ingest API); returns the batch summary and one outcome per record. */
  importRecords(
    actor: Actor,
    options: RecordImportOptions,
  ): Promise<{ summary: ImportSummary; results: RecordOutcome[] }>;
  getBatch(
    actor: Actor,
    batchId: number,
  ): Promise<ImportSummary & { unitId: number; profile: string; fileName: string }>;
  listRejects(actor: Actor, batchId: number): Promise<ImportReject[]>;
  /** The unit's latest batches, newest first (a running one says so). */
  listBatches(
    actor: Actor,
    unitId: number,
    limit?: number,
  ): Promise<Array<ImportSummary & { profile: string; fileName: string; startedAt: Date; running: boolean }>>;
  /**
   * Marks every batch left `running` by a process that is gone (its session lock is free) as `interrupted`, with
   * the counts its committed chunks stored; run at start. Returns their ids.
   */
  recoverInterrupted(): Promise<number[]>;
}

interface Pending {
  readonly incident: MappedIncident;
  /** sha256 of the raw text: an unchanged record is recognised by it. */
  readonly hash: string;
  readonly rowNumber: number;
  readonly lineNumber: number;
  /** The earlier row of this file with the same reference: this row is settled against what that row left stored. */
  readonly repeatOf?: number;
}

interface Counters {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  merged: number;
  rejected: number;
}

/** What one import has learnt as it goes. */
interface ImportRun {
  /** No chunk of this import has met a stored reference yet (see insertFirsts). */
  allNew: boolean;
}

/** SQLSTATE of a unique constraint violated. */
const UNIQUE_VIOLATION = '23505';

const zeroCounters = (): Counters => ({
  read: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  merged: 0,
  rejected: 0,
});

/**
 * The verbatim source text, made storable: a NUL becomes the visible escape `\u0000` and a lone surrogate the
 * replacement character. Everything else is kept as it came, so a reject still shows what was sent.
 */
export function storableRaw(raw: string): string {
  if (!NOT_TEXT.test(raw)) return raw;
  return raw
    .replaceAll('\u0000', '\\u0000')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Whether the database refused the data itself (SQLSTATE classes 22, data exception, and 23, integrity
 * constraint): then the rows of a chunk are tried apart. Anything else (a lost connection, a bug) stops the
 * import.
 */
function refusedData(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/** A record from the API must be an object of strings with the profile's required keys. */
function checkRecordShape(record: unknown, required: readonly string[]): string | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return 'record: must be a JSON object';
  for (const [key, value] of Object.entries(record)) {
    if (
      value !== null &&
      typeof value !== 'string' &&
      typeof value !== 'number' &&
      typeof value !== 'boolean'
    ) {
      return `${key}: must be a string, number, boolean or null`;
    }
  }
  const missing = required.filter((c) => !(c in record));
  return missing.length > 0 ? `record: missing field(s) ${missing.join(', ')}` : null;
}

/**
 * What a change is judged by: the record's fingerprint (its raw text, or its kept columns) and, when it is not
 * the default, its marking, so a profile that comes to mark a record updates it.
 */
function contentHash(fingerprint: string, marking: MappedIncident['marking']): string {
  return hash('sha256', marking === 'OFFICIAL' ? fingerprint : `${fingerprint}\u0000marking:${marking}`);
}

/** The best-known time of an incident: windows and pictures use it. */
function eventAt(incident: MappedIncident): Date | null {
  return incident.openedAt ?? incident.firstDeployedAt ?? incident.arrivedAt ?? incident.closedAt;
}

/** eventAt's order, as columns (a chunk's insert works the event time out in the database). */
const EVENT_TIME_ORDER = ['opened_at', 'first_deployed_at', 'arrived_at', 'closed_at'] as const;

function toValues(unitId: number, batchId: number, incident: MappedIncident, hash: string) {
  return {
    unit_id: unitId,
    source: incident.source,
    reference: incident.reference,
    opened_at: incident.openedAt,
    first_deployed_at: incident.firstDeployedAt,
    arrived_at: incident.arrivedAt,
    closed_at: incident.closedAt,
    event_at: eventAt(incident),
    period_month: incident.periodMonth,
    how_reported: incident.howReported,
    grade_initial: incident.gradeInitial,
    grade_final: incident.gradeFinal,
    force_grade_initial: incident.forceGradeInitial,
    force_grade_final: incident.forceGradeFinal,
    opening_type_code: incident.openingTypeCode,
    closing_type_code: incident.closingTypeCode,
    nsir_chapter: incident.nsirChapter,
    qualifiers: [...incident.qualifiers],
    area: incident.area,
    beat: incident.beat,
    ward: incident.ward,
    latitude: incident.latitude,
    longitude: incident.longitude,
    thrive_risk: incident.thriveRisk,
    critical: incident.critical,
    units: [...incident.units],
    raw: storableRaw(incident.raw),
    content_hash: hash,
    import_batch_id: batchId,
    marking: incident.marking,
  };
}

/**
 * The columns a chunk sends, with their SQL types: one array parameter per column, unnested into rows. The unit,
 * source and batch are the same for the whole chunk and are passed once.
 */
const RECORD_COLUMNS = [
  ['reference', 'text'],
  ['opened_at', 'timestamptz'],
  ['first_deployed_at', 'timestamptz'],
  ['arrived_at', 'timestamptz'],
  ['closed_at', 'timestamptz'],
  ['event_at', 'timestamptz'],
  ['period_month', 'date'],
  ['how_reported', 'text'],
  ['grade_initial', 'text'],
  ['grade_final', 'text'],
  ['force_grade_initial', 'text'],
  ['force_grade_final', 'text'],
  ['opening_type_code', 'text'],
  ['closing_type_code', 'text'],
  ['nsir_chapter', 'text'],
  ['qualifiers', 'text[]'],
  ['area', 'text'],
  ['beat', 'text'],
  ['ward', 'text'],
  ['latitude', 'double precision'],
  ['longitude', 'double precision'],
  ['thrive_risk', 'text'],
  ['critical', 'boolean'],
  ['units', 'text[]'],
  ['marking', 'text'],
  ['raw', 'text'],
  ['content_hash', 'text'],
] as const satisfies ReadonlyArray<readonly [keyof ReturnType<typeof toValues>, string]>;

type RecordColumn = (typeof RECORD_COLUMNS)[number][0];
type ValuesRow = ReturnType<typeof toValues>;

/**
 * Each sent column's value, read off a pending row as toValues would give it: a chunk's literals are built column
 * by column from these, with no row object made per incident on the way.
 */
const COLUMN_VALUE: { readonly [C in RecordColumn]: (p: Pending) => ValuesRow[C] } = {
  reference: (p) => p.incident.reference,
  opened_at: (p) => p.incident.openedAt,
  first_deployed_at: (p) => p.incident.firstDeployedAt,
  arrived_at: (p) => p.incident.arrivedAt,
  closed_at: (p) => p.incident.closedAt,
  event_at: (p) => eventAt(p.incident),
  period_month: (p) => p.incident.periodMonth,
  how_reported: (p) => p.incident.howReported,
  grade_initial: (p) => p.incident.gradeInitial,
  grade_final: (p) => p.incident.gradeFinal,
  force_grade_initial: (p) => p.incident.forceGradeInitial,
  force_grade_final: (p) => p.incident.forceGradeFinal,
  opening_type_code: (p) => p.incident.openingTypeCode,
  closing_type_code: (p) => p.incident.closingTypeCode,
  nsir_chapter: (p) => p.incident.nsirChapter,
  qualifiers: (p) => p.incident.qualifiers as ValuesRow['qualifiers'],
  area: (p) => p.incident.area,
  beat: (p) => p.incident.beat,
  ward: (p) => p.incident.ward,
  latitude: (p) => p.incident.latitude,
  longitude: (p) => p.incident.longitude,
  thrive_risk: (p) => p.incident.thriveRisk,
  critical: (p) => p.incident.critical,
  units: (p) => p.incident.units as ValuesRow['units'],
  marking: (p) => p.incident.marking,
  raw: (p) => storableRaw(p.incident.raw),
  content_hash: (p) => p.hash,
};

/**
 * What the table fills in itself for a column left out (its default, or null; see migration 0002): a column holding
 * nothing but that in a chunk is not sent at all. A profile maps a dozen of the 27 columns; the others would go as
 * literals of 2,000 NULLs, built, parsed and unnested for nothing.
 */
function isTableDefault(column: RecordColumn, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (column === 'qualifiers' || column === 'units') return (value as readonly string[]).length === 0;
  if (column === 'critical') return value === false;
  if (column === 'marking') return value === 'OFFICIAL';
  return false;
}

/** The columns a chunk sends: those in which some row holds more than the table's own default. */
function columnsSent(rows: readonly Pending[]) {
  return RECORD_COLUMNS.filter(([name]) => {
    const value = COLUMN_VALUE[name];
    return rows.some((row) => !isTableDefault(name, value(row)));
  });
}

/**
 * One column of a chunk as a PostgreSQL array literal (`{"a","b",NULL}`), sent as a single text parameter and
 * cast on the server. The driver would build the same literal from a JS array, escaping every element with two
 * regular-expression replacements; here only an element holding a quote or a backslash is escaped.
 */
function columnLiteral(column: RecordColumn, type: string, rows: readonly Pending[]): string {
  const read: (p: Pending) => unknown = COLUMN_VALUE[column];
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i += 1) {
    const value = read(rows[i] as Pending);
    if (value === null || value === undefined) parts[i] = 'NULL';
    else if (type === 'text[]') parts[i] = quoteElement(arrayLiteral(value as readonly string[]));
    // ISO text, read by PostgreSQL as timestamptz.
    else if (value instanceof Date) parts[i] = value.toISOString();
    else if (typeof value === 'number' || typeof value === 'boolean') parts[i] = String(value);
    else parts[i] = element(String(value));
  }
  return `{${parts.join(',')}}`;
}

/** A list of texts as a PostgreSQL array literal: `{"a","b"}` (every element quoted, so none reads as NULL). */
function arrayLiteral(values: readonly string[]): string {
  return values.length === 0 ? '{}' : `{${values.map(quoteElement).join(',')}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const quoteElement = (text: string) =>
  NEEDS_ESCAPE.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
/**
 * Text that stands in an array literal as it is: not empty, not NULL in any case, and none of the characters the
 * literal gives a meaning to (braces, comma, quote, backslash, white space at either end). Most values are, and
 * are then not copied into a quoted string of their own.
 */
const BARE_ELEMENT = /^[^\s{},"\\][^{},"\\]*(?<!\s)$/;
const element = (text: string) =>
  BARE_ELEMENT.test(text) && !(text.length === 4 && text.toLowerCase() === 'null')
    ? text
    : quoteElement(text);

/** What a chunk needs of a stored incident to compare a row with it. */
type StoredIncident = Pick<IncidentRow, 'id' | 'reference' | 'content_hash'>;

/**
 * The unit's stored incidents of these rows' references. The lateral join makes each reference one probe of the
 * unique index whatever the statistics say; the planner chose a scan of the whole source for
 * `reference = any(…)` when statistics lagged a bulk import.
 */
async function storedIncidents(
  trx: Transaction<Database>,
  unitId: number,
  source: string,
  rows: readonly Pending[],
): Promise<StoredIncident[]> {
  const references = [...new Set(rows.map((p) => p.incident.reference))];
  const result = await sql<StoredIncident>`
    select i.id, i.reference, i.content_hash from unnest(${references}::text[]) as r(reference)
    cross join lateral (
      select id, reference, content_hash from incidents
      where unit_id = ${unitId} and source = ${source} and reference = r.reference limit 1
    ) i`.execute(trx);
  return result.rows;
}

/** The statement inserting a chunk's rows (see insertNew), without its `returning`. */
function insertStatement(
  unitId: number,
  batchId: number,
  source: string,
  pending: readonly Pending[],
  now: Date,
  mayConflict: boolean,
) {
  // The event time is worked out by the database from the times sent, as eventAt does (the first of opened,
  // deployed, arrived, closed): one array of timestamps less to write and parse.
  const columns = columnsSent(pending).filter(([name]) => name !== 'event_at');
  const times = EVENT_TIME_ORDER.filter((name) => columns.some(([sent]) => sent === name));
  const arrays = columns.map(
    ([name, type]) =>
      sql`${columnLiteral(name, type, pending)}::${sql.raw(type === 'text[]' ? 'text' : type)}[]`,
  );
  const names = columns.map(([name]) => name).join(', ');
  // A list column travels as the text of its own array literal (arrays of arrays cannot be unnested row by row)
  // and is cast back here: a cast per row, where rebuilding it from JSON was a subquery per row (1.2 µs a row
  // more).
  const selected = sql.raw(
    columns.map(([name, type]) => (type === 'text[]' ? `r.${name}::text[]` : `r.${name}`)).join(', '),
  );
  const eventTime = sql.raw(
    times.length === 0 ? 'null::timestamptz' : `coalesce(${times.map((t) => `r.${t}`).join(', ')})`,
  );
  return sql`
    insert into incidents (unit_id, source, import_batch_id, created_at, updated_at, event_at, ${sql.raw(names)})
    select ${unitId}, ${source}, ${batchId}, ${now}::timestamptz, ${now}::timestamptz, ${eventTime}, ${selected}
    from unnest(${sql.join(arrays)}) as r(${sql.raw(names)})
    ${mayConflict ? sql`on conflict (unit_id, source, reference) do nothing` : sql``}`;
}

/**
 * Inserts the chunk's new incidents in one statement and returns the ids of those inserted; a reference already
 * stored is left alone (the caller compares it). Each column travels as one array parameter: a multi-row VALUES
 * list needs a bind parameter per field (31,000 for 1,000 rows) and was the import's slowest part, and JSON
 * records cost PostgreSQL more to read than arrays.
 */
async function insertNew(
  trx: Transaction<Database>,
  unitId: number,
  batchId: number,
  source: string,
  pending: readonly Pending[],
  now: Date,
): Promise<Array<{ id: number; reference: string }>> {
  const insert = insertStatement(unitId, batchId, source, pending, now, true);
  const result = await sql<{ id: number; reference: string }>`${insert} returning id, reference`.execute(trx);
  return result.rows;
}

/**
 * Inserts every one of the rows (a stored reference is an error: see insertFirsts) and returns the ids given as
 * inclusive ranges, worked out by the database: a row back per range instead of one per incident.
 */
async function insertAll(
  trx: Transaction<Database>,
  unitId: number,
  batchId: number,
  source: string,
  pending: readonly Pending[],
  now: Date,
): Promise<Array<[number, number]>> {
  const insert = insertStatement(unitId, batchId, source, pending, now, false);
  const result = await sql<{ lo: string; hi: string }>`
    with inserted as (${insert} returning id)
    select min(id) as lo, max(id) as hi
    from (select id, id - row_number() over (order by id) as run from inserted) r
    group by run order by lo`.execute(trx);
  return result.rows.map((r) => [Number(r.lo), Number(r.hi)]);
}

/** The incidents a chunk inserted: how many, their ids as ranges, and which references (null: all it sent). */
interface InsertedRows {
  readonly count: number;
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  readonly references: ReadonlySet<string> | null;
}

function insertedOf(rows: ReadonlyArray<{ id: number; reference: string }>): InsertedRows {
  return {
    count: rows.length,
    ranges: idRanges(rows.map((r) => Number(r.id))),
    references: new Set(rows.map((r) => r.reference)),
  };
}

/**
 * Ids as inclusive ranges (`[[101, 1100]]`): a chunk's new incidents come from one statement and are nearly
 * always consecutive, so the audit event lists them all in a few numbers instead of a thousand.
 */
export function idRanges(ids: readonly number[]): Array<[number, number]> {
  const sorted = [...ids].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const id of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && id === last[1] + 1) last[1] = id;
    else if (!last || id !== last[1]) ranges.push([id, id]);
  }
  return ranges;
}

/** Inclusive ranges joined where they touch or overlap, in order (`[[1, 5], [6, 9]]` is `[[1, 9]]`). */
export function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const merged: Array<[number, number]> = [];
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

/** The audited view of an incident: its mapped fields, not the raw text (which the hash stands for). */
function auditView(row: Pick<IncidentRow, keyof ReturnType<typeof toValues>>) {
  const { raw: _raw, import_batch_id: _batch, ...rest } = row;
  return rest;
}

function toSummary(row: ImportBatchRow): ImportSummary {
  return {
    batchId: row.id,
    status: row.status as ImportSummary['status'],
    failure: row.failure,
    read: row.read_count,
    inserted: row.inserted_count,
    updated: row.updated_count,
    unchanged: row.unchanged_count,
    merged: row.merged_count,
    rejected: row.rejected_count,
    unmapped: row.unmapped as Record<string, Record<string, number>>,
  };
}

/** An item as the import takes it: kept as a reject (unreadable, or refused by the mapper), or mapped. */
function mapItem(
  mapper: Mapper,
  item: CsvItem,
):
  | { readonly reject: ImportReject; readonly mapped?: undefined }
  | { readonly reject?: undefined; readonly mapped: Extract<MapResult, { ok: true }> } {
  const at = { rowNumber: item.rowNumber, lineNumber: item.lineNumber, raw: item.raw };
  if (item.kind === 'reject') return { reject: { ...at, field: null, reason: item.reason } };
  const result = mapper.map(item.record, item.raw);
  if (!result.ok)
    return { reject: { ...at, field: result.field, reason: `${result.field}: ${result.reason}` } };
  return { mapped: result };
}

/** One row of a dry run: what the import would make of it. */
export type PreviewRow =
  | {
      readonly rowNumber: number;
      readonly lineNumber: number;
      readonly status: 'mapped';
      readonly incident: Omit<MappedIncident, 'raw'>;
      readonly unmapped: ReadonlyArray<readonly [string, string]>;
    }
  | {
      readonly rowNumber: number;
      readonly lineNumber: number;
      readonly status: 'rejected';
      readonly field: string | null;
      readonly reason: string;
      readonly raw: string;
    };

/**
 * A dry run: reads and maps the first `rows` records of a file as the import would (the same file checks, the
 * same mapper) and writes nothing; for checking a profile before importing.
 */
export async function previewImport(options: {
  readonly profile: string;
  readonly profilesDir?: string | undefined;
  readonly file: string;
  readonly encoding?: 'utf-8' | 'latin1';
  readonly rows: number;
}): Promise<{ profile: MappingProfile; rows: PreviewRow[] }> {
  const profile = await loadProfile(options.profile, { profilesDir: options.profilesDir });
  const encoding = options.encoding ?? profile.encoding;
  await scanFile(options.file, encoding, profile);
  const mapper = createMapper(profile);
  const rows: PreviewRow[] = [];
  for await (const item of readCsv(options.file, {
    encoding,
    delimiter: profile.delimiter,
    requiredColumns: profile.requiredColumns,
  })) {
    if (rows.length >= options.rows) break;
    const { reject, mapped } = mapItem(mapper, item);
    if (reject) rows.push({ ...reject, status: 'rejected' });
    else {
      const { raw: _raw, ...incident } = mapped.incident;
      rows.push({
        rowNumber: item.rowNumber,
        lineNumber: item.lineNumber,
        status: 'mapped',
        incident,
        unmapped: mapped.unmapped,
      });
    }
  }
  return { profile, rows };
}

export function createIncidentImportService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
  /**
   * Whether a running import holds a session lock on a connection of its own (PostgreSQL, where other processes
   * may import at the same time), or the process alone owns the database (embedded PGlite, the default).
   */
  databaseKind?: 'pglite' | 'postgres';
  /** The index of first rows per reference (tests give one whose digests collide). */
  createFirstRows?: () => Pick<FirstRows, 'firstRowOf'>;
}): IncidentImportService {
  const { db, audit, clock, units } = deps;
  const createFirstRows = deps.createFirstRows ?? (() => new FirstRows());
  const sessionLocks = deps.databaseKind === 'postgres';

  /**
   * Writes one chunk in one transaction: new incidents, changes to stored ones, rejects, the audit event. What it
   * did is counted in `delta` and `local`, which the caller applies only once the transaction committed.
   */
  /**
   * Inserts a chunk's first rows. Until a chunk of this import meets a stored reference, a chunk is inserted
   * without `on conflict` (a speculative insertion per row, a fifth of the import's database time) inside a
   * savepoint; the first unique violation rolls that back and the import goes on with `on conflict do nothing`.
   * (COPY instead, with ids drawn from the sequence first, measured no faster: drawing 2,000 ids cost what COPY
   * saved.)
   */
  async function insertFirsts(
    trx: Transaction<Database>,
    unitId: number,
    batchId: number,
    source: string,
    firsts: readonly Pending[],
    run: ImportRun,
  ): Promise<InsertedRows> {
    if (run.allNew) {
      await sql`savepoint first_rows`.execute(trx);
      try {
        const ranges = await insertAll(trx, unitId, batchId, source, firsts, clock.now());
        await sql`release savepoint first_rows`.execute(trx);
        return { count: firsts.length, ranges, references: null };
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
        await sql`rollback to savepoint first_rows`.execute(trx);
        run.allNew = false;
      }
    }
    return insertedOf(await insertNew(trx, unitId, batchId, source, firsts, clock.now()));
  }

  async function writeChunkOnce(
    actor: Actor,
    batchId: number,
    unitId: number,
    pending: readonly Pending[],
    rejects: readonly ImportReject[],
    delta: Counters,
    /** Per-record outcomes, when the caller wants them (the API); a file import counts only. */
    local: Map<number, RecordOutcome> | undefined,
    run: ImportRun,
  ) {
    const allRejects = [...rejects];
    const reject = (p: Pending, reason: string) =>
      allRejects.push({
        rowNumber: p.rowNumber,
        lineNumber: p.lineNumber,
        field: 'reference',
        reason,
        raw: p.incident.raw,
      });
    await db.transaction().execute(async (trx) => {
      // Chunks commit without waiting for their WAL flush; the batch's last commit is synchronous and so flushes
      // every chunk before it, so a batch is never marked completed with rows missing after a crash. A crash in
      // the middle leaves the batch `running`, and importing the file again completes it. The chunk also holds
      // the unit's window lock, so cached picture counts are dropped consistently (window-counts.ts).
      await beginIncidentWrite(trx, unitId);
      // Instants of every incident this chunk inserts or changes (before and after): cached windows holding any
      // of them are dropped.
      const touched: number[] = [];
      const touch = (at: Date | null) => {
        if (at) touched.push(at.getTime());
      };
      const source = pending[0]?.incident.source ?? '';
      const firsts = pending.filter((p) => p.repeatOf === undefined);
      const repeats = pending.filter((p) => p.repeatOf !== undefined);
      const first: InsertedRows =
        firsts.length > 0
          ? await insertFirsts(trx, unitId, batchId, source, firsts, run)
          : { count: 0, ranges: [], references: new Set() };
      const wasInserted = (p: Pending) =>
        first.references === null || first.references.has(p.incident.reference);
      let insertedCount = first.count;
      const insertedIds = [...first.ranges];
      delta.inserted += first.count;
      for (const p of firsts) if (wasInserted(p)) touch(eventAt(p.incident));
      const conflicts = first.references === null ? [] : firsts.filter((p) => !wasInserted(p));
      for (const p of firsts) {
        if (wasInserted(p)) local?.set(p.rowNumber, { status: 'inserted', reference: p.incident.reference });
      }

      // References already stored (by an earlier import, or by an earlier row of this file) are compared with
      // what is stored: unchanged, updated (audited), or refused. Repeats come after the rows they repeat.
      if (conflicts.length + repeats.length > 0) {
        const stored = new Map(
          (await storedIncidents(trx, unitId, source, [...conflicts, ...repeats])).map((r) => [
            r.reference,
            r,
          ]),
        );
        for (const p of conflicts) {
          const found = stored.get(p.incident.reference);
          // Incidents are never deleted, so a reference that conflicted is there to read.
          if (!found) throw new Error(`incident ${p.incident.reference} conflicted but cannot be read`);
          if (found.content_hash === p.hash) {
            delta.unchanged += 1;
            local?.set(p.rowNumber, { status: 'unchanged', reference: p.incident.reference });
          } else {
            const change = await updateIncident(
              trx,
              actor,
              found,
              toValues(unitId, batchId, p.incident, p.hash),
            );
            stored.set(found.reference, change.after);
            touch(change.before.event_at);
            touch(change.after.event_at);
            delta.updated += 1;
            local?.set(p.rowNumber, { status: 'updated', reference: p.incident.reference });
          }
        }
        // A suspected repeat with nothing stored under its reference shares only a digest with an earlier row
        // (see FirstRows): it is new after all.
        const strays = repeats.filter((p) => !stored.has(p.incident.reference));
        const newRows = new Set<Pending>();
        if (strays.length > 0) {
          const added = await insertNew(trx, unitId, batchId, source, strays, clock.now());
          delta.inserted += added.length;
          insertedCount += added.length;
          insertedIds.push(...insertedOf(added).ranges);
          for (const row of await storedIncidents(trx, unitId, source, strays))
            stored.set(row.reference, row);
          const addedRefs = new Set(added.map((r) => r.reference));
          for (const p of strays) {
            if (!addedRefs.delete(p.incident.reference)) continue;
            newRows.add(p);
            touch(eventAt(p.incident));
            local?.set(p.rowNumber, { status: 'inserted', reference: p.incident.reference });
          }
        }
        for (const p of repeats) {
          if (newRows.has(p)) continue;
          const found = stored.get(p.incident.reference);
          if (!found) throw new Error(`incident ${p.incident.reference} cannot be read after its insert`);
          if (found.content_hash === p.hash) {
            delta.merged += 1;
            local?.set(p.rowNumber, { status: 'merged', reference: p.incident.reference });
          } else {
            reject(
              p,
              `reference: ${p.incident.reference} repeats row ${p.repeatOf} of this file with different content; the first row is kept`,
            );
          }
        }
      }

      if (allRejects.length > 0) {
        await trx
          .insertInto('import_rejects')
          .values(
            allRejects.map((r) => ({
              batch_id: batchId,
              row_number: r.rowNumber,
              line_number: r.lineNumber,
              field: r.field,
              reason: r.reason,
              raw: storableRaw(r.raw),
            })),
          )
          .execute();
        delta.rejected += allRejects.length;
        for (const r of allRejects)
          local?.set(r.rowNumber, { status: 'rejected', field: r.field, reason: r.reason });
      }
      if (touched.length > 0) {
        const [from, to] = [new Date(Math.min(...touched)), new Date(Math.max(...touched))];
        await dropWindowsBetween(trx, unitId, from, to);
        // A stored brief whose window this changed is built again when next read (late data).
        await markBriefsStale(trx, unitId, from, to, clock.now());
      }
      if (insertedCount > 0) {
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'incidents',
          entityId: `batch:${batchId}`,
          unitId,
          after: { inserted: insertedCount, source, idRanges: mergeRanges(insertedIds) },
        });
      }
      // The batch's counters move with each chunk, in its transaction: a batch whose process died still says
      // what it stored (see recoverInterrupted). Last, so the batch row is held only until the commit.
      const settled = delta.inserted + delta.updated + delta.unchanged + delta.merged + delta.rejected;
      await trx
        .updateTable('import_batches')
        .set((eb) => ({
          read_count: eb('read_count', '+', settled),
          inserted_count: eb('inserted_count', '+', delta.inserted),
          updated_count: eb('updated_count', '+', delta.updated),
          unchanged_count: eb('unchanged_count', '+', delta.unchanged),
          merged_count: eb('merged_count', '+', delta.merged),
          rejected_count: eb('rejected_count', '+', delta.rejected),
        }))
        .where('id', '=', batchId)
        .execute();
    });
  }

  /**
   * Writes a chunk. If the database refuses its data (a value no check foresaw), the chunk is split and each part
   * tried on its own, down to single rows: every good row is stored and each row the database refuses is kept as
   * a reject with the database's reason. Counters and per-record outcomes count only what committed.
   */
  async function writeChunk(
    actor: Actor,
    batchId: number,
    unitId: number,
    pending: readonly Pending[],
    rejects: readonly ImportReject[],
    counters: Counters,
    outcomes: Map<number, RecordOutcome> | undefined,
    run: ImportRun,
  ): Promise<void> {
    const delta = zeroCounters();
    const local = outcomes ? new Map<number, RecordOutcome>() : undefined;
    try {
      await writeChunkOnce(actor, batchId, unitId, pending, rejects, delta, local, run);
    } catch (error) {
      if (!refusedData(error)) throw error;
      const again = (p: readonly Pending[], r: readonly ImportReject[]) =>
        writeChunk(actor, batchId, unitId, p, r, counters, outcomes, run);
      if (pending.length === 0) {
        // Rejects alone were refused (their text is made storable, so this is a fault of ours): split them.
        if (rejects.length <= 1) throw error;
        const half = Math.ceil(rejects.length / 2);
        await again([], rejects.slice(0, half));
        await again([], rejects.slice(half));
        return;
      }
      if (rejects.length > 0) {
        await again([], rejects);
        await again(pending, []);
        return;
      }
      if (pending.length === 1) {
        const p = pending[0] as Pending;
        await again(
          [],
          [
            {
              rowNumber: p.rowNumber,
              lineNumber: p.lineNumber,
              field: null,
              reason: `the database refused this record: ${(error as Error).message}`,
              raw: p.incident.raw,
            },
          ],
        );
        return;
      }
      // In order: a repeat stays after the row it repeats.
      const half = Math.ceil(pending.length / 2);
      await again(pending.slice(0, half), []);
      await again(pending.slice(half), []);
      return;
    }
    for (const key of Object.keys(delta) as (keyof Counters)[]) counters[key] += delta[key];
    for (const [row, outcome] of local ?? []) outcomes?.set(row, outcome);
  }

  async function updateIncident(
    trx: Transaction<Database>,
    actor: Actor,
    stored: StoredIncident,
    values: ReturnType<typeof toValues>,
  ): Promise<{ before: IncidentRow; after: IncidentRow }> {
    // The whole row is read only here, for the audit's before and after; the row is locked until commit.
    const before = await trx
      .selectFrom('incidents')
      .selectAll()
      .where('id', '=', stored.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const after = await trx
      .updateTable('incidents')
      .set({ ...values, updated_at: clock.now() })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const beforeView = auditView(before) as Record<string, unknown>;
    const afterView = auditView(after) as Record<string, unknown>;
    const changed = Object.keys(afterView).filter(
      (k) => JSON.stringify(beforeView[k]) !== JSON.stringify(afterView[k]),
    );
    await audit.append(trx, actor, {
      operation: 'alteration',
      entityType: 'incident',
      entityId: before.id,
      unitId: before.unit_id,
      before: Object.fromEntries(changed.map((k) => [k, beforeView[k]])),
      after: Object.fromEntries(changed.map((k) => [k, afterView[k]])),
    });
    return { before, after };
  }

  async function createBatch(
    actor: Actor,
    unitId: number,
    profile: MappingProfile,
    fileName: string,
    details: Record<string, unknown>,
  ): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('import_batches')
        .values({
          unit_id: unitId,
          source: profile.source,
          profile: profile.name,
          file_name: fileName,
          actor_label: actor.label,
          status: 'running',
          failure: null,
          unmapped: '{}',
          started_at: clock.now(),
          finished_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await audit.append(trx, actor, {
        operation: 'collection',
        entityType: 'import_batch',
        entityId: row.id,
        unitId,
        after: { profile: profile.name, file: fileName, ...details },
      });
      return row.id;
    });
  }

  /** Batches this process is importing now: never taken for interrupted, whatever the lock says. */
  const active = new Set<number>();

  /**
   * The one connection that holds the session locks of this process's running imports (PostgreSQL): reserved
   * while any import runs, released after the last. One for all of them, so that imports at once never hold the
   * pool's every connection while they wait for one to write with (a connection each did, at the pool's size).
   */
  let lockHolder:
    | { conn: Promise<Kysely<Database>>; release: () => void; finished: Promise<void> }
    | undefined;
  let holding = 0;

  function holder(): Promise<Kysely<Database>> {
    if (!lockHolder) {
      let release: () => void = () => {};
      let lend: (conn: Kysely<Database>) => void = () => {};
      let refuse: (error: unknown) => void = () => {};
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      const conn = new Promise<Kysely<Database>>((resolve, reject) => {
        lend = resolve;
        refuse = reject;
      });
      const finished = db.connection().execute(async (c) => {
        lend(c);
        await done;
      });
      // No connection to be had (the database is gone): the import waiting for it fails instead of hanging.
      finished.catch((error: unknown) => {
        refuse(error);
        lockHolder = undefined;
      });
      lockHolder = { conn, release, finished };
    }
    return lockHolder.conn;
  }

  /**
   * Runs an import holding the batch's session lock: the lock lives exactly as long as the importing process (or
   * its connection), so another process can tell a live import from a dead one (recoverInterrupted).
   */
  async function whileImporting<T>(batchId: number, run: () => Promise<T>): Promise<T> {
    active.add(batchId);
    try {
      // Embedded PGlite has one connection (reserving it would stall the import) and one process: the lock on its
      // directory already says that no other process can be importing.
      if (!sessionLocks) return await run();
      holding += 1;
      const conn = await holder();
      try {
        await sql`select pg_advisory_lock(${IMPORT_LOCK_CLASS}::int, ${batchId}::int)`.execute(conn);
        return await run();
      } finally {
        await sql`select pg_advisory_unlock(${IMPORT_LOCK_CLASS}::int, ${batchId}::int)`
          .execute(conn)
          .catch(() => undefined);
        holding -= 1;
        if (holding === 0 && lockHolder) {
          const last = lockHolder;
          lockHolder = undefined;
          last.release();
          await last.finished.catch(() => undefined);
        }
      }
    } finally {
      active.delete(batchId);
    }
  }

  /** Maps and writes a stream of items into a batch; records the batch's outcome; never throws for bad data. */
  async function runImport(
    actor: Actor,
    unitId: number,
    profile: MappingProfile,
    batchId: number,
    /** The items in batches, in order (see readCsvBatches). */
    items: AsyncIterable<readonly CsvItem[]>,
    outcomes?: Map<number, RecordOutcome>,
    onChunk?: (rows: number) => void,
  ): Promise<ImportSummary> {
    const counters: Counters = { read: 0, inserted: 0, updated: 0, unchanged: 0, merged: 0, rejected: 0 };
    const run: ImportRun = { allNew: true };
    const unmapped: Record<string, Record<string, number>> = {};
    const mapper = createMapper(profile);
    let pending: Pending[] = [];
    let rejects: ImportReject[] = [];
    const merged = new Map<
      string,
      { incident: MappedIncident; fingerprint: string; rowNumber: number; lineNumber: number }
    >();
    // The first row of each reference read from this file, so that a repeat is treated the same way on every
    // import: settled against what its first row left stored, an identical repeat is folded in and a different
    // one rejected. A compact index (FirstRows, 12-24 bytes a reference) keeps the import's memory flat on
    // million-row files; derived references are unique by construction and are not kept.
    const firstRows = createFirstRows();
    let failure: string | null = null;

    // Chunks are written while the next ones are read and mapped, up to WRITERS at once (each on its own
    // connection on PostgreSQL; PGlite has one connection and runs them in turn). A chunk holding a repeat first
    // waits for every chunk before it, so a repeat is always settled against what its first row left stored.
    const writing = new Set<Promise<void>>();
    let writeError: unknown;
    const throwIfFailed = () => {
      if (writeError !== undefined) throw writeError;
    };
    const flush = async () => {
      const chunk = pending;
      const chunkRejects = rejects;
      pending = [];
      rejects = [];
      if (chunk.length + chunkRejects.length === 0) return;
      if (chunk.some((p) => p.repeatOf !== undefined)) await Promise.all(writing);
      while (writing.size >= WRITERS) await Promise.race(writing);
      throwIfFailed();
      const write: Promise<void> = writeChunk(
        actor,
        batchId,
        unitId,
        chunk,
        chunkRejects,
        counters,
        outcomes,
        run,
      )
        .then(
          () => onChunk?.(counters.read),
          // Kept and rethrown by the reading loop, which then marks the batch failed.
          (error: unknown) => {
            writeError ??= error;
          },
        )
        .finally(() => writing.delete(write));
      writing.add(write);
    };

    try {
      for await (const batch of items)
        for (const item of batch) {
          counters.read += 1;
          // Reading and mapping are synchronous between the reader's own waits for the file, which come only every
          // few hundred rows; the chunk being written needs the event loop for each of its round trips. Without
          // this turn the two took turns instead of overlapping, and the import ran at half speed.
          if (counters.read % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          const { reject, mapped: result } = mapItem(mapper, item);
          if (reject) rejects.push(reject);
          else {
            for (const [field, value] of result.unmapped) {
              unmapped[field] ??= {};
              unmapped[field][value] = (unmapped[field][value] ?? 0) + 1;
            }
            if (profile.merge) {
              const entry = {
                incident: result.incident,
                rowNumber: item.rowNumber,
                lineNumber: item.lineNumber,
              };
              // Rows of one incident (one per attending unit) are merged before writing; merge profiles are
              // for snapshot-sized files, since every incident is held until the end of the file.
              const earlier = merged.get(result.incident.reference);
              if (earlier) {
                merged.set(result.incident.reference, {
                  ...earlier,
                  incident: mergeIncidents(earlier.incident, result.incident),
                  fingerprint: `${earlier.fingerprint}\n${result.fingerprint}`,
                });
                counters.merged += 1;
                outcomes?.set(item.rowNumber, { status: 'merged', reference: result.incident.reference });
              } else {
                merged.set(result.incident.reference, { ...entry, fingerprint: result.fingerprint });
              }
            } else {
              const reference = result.incident.reference;
              const repeatOf = result.derivedReference
                ? undefined
                : firstRows.firstRowOf(reference, item.rowNumber);
              pending.push({
                incident: result.incident,
                rowNumber: item.rowNumber,
                lineNumber: item.lineNumber,
                hash: contentHash(result.fingerprint, result.incident.marking),
                repeatOf,
              });
            }
          }
          if (pending.length + rejects.length >= CHUNK) await flush();
        }
      for (const { fingerprint, ...entry } of merged.values()) {
        pending.push({ ...entry, hash: contentHash(fingerprint, entry.incident.marking) });
        if (pending.length >= CHUNK) await flush();
      }
      await flush();
      await Promise.all(writing);
      throwIfFailed();
    } catch (error) {
      await Promise.all(writing);
      failure = error instanceof Error ? error.message : String(error);
      if (!(error instanceof ImportFileError)) failure = `import stopped: ${failure}`;
    }

    const finished = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('import_batches')
        .set({
          status: failure ? 'failed' : 'completed',
          failure,
          read_count: counters.read,
          inserted_count: counters.inserted,
          updated_count: counters.updated,
          unchanged_count: counters.unchanged,
          merged_count: counters.merged,
          rejected_count: counters.rejected,
          unmapped: JSON.stringify(unmapped),
          finished_at: clock.now(),
        })
        .where('id', '=', batchId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit.append(trx, actor, {
        operation: 'alteration',
        entityType: 'import_batch',
        entityId: batchId,
        unitId: unitId,
        before: { status: 'running' },
        after: { status: row.status, failure, ...counters },
      });
      return row;
    });
    return toSummary(finished);
  }

  return {
    async importFile(actor, options) {
      assertCan(actor, 'incidents.import', options.unitId);
      const unit = await units.get(options.unitId);
      const profile = await loadProfile(options.profile, { profilesDir: options.profilesDir });
      const encoding = options.encoding ?? profile.encoding;
      // File-level checks first: nothing is written for a file that cannot be imported at all.
      const { bytes: totalBytes } = await scanFile(options.file, encoding, profile);
      const batchId = await createBatch(actor, unit.id, profile, path.basename(options.file), {
        bytes: totalBytes,
      });
      let bytes = 0;
      const items = readCsvBatches(options.file, {
        encoding,
        delimiter: profile.delimiter,
        requiredColumns: profile.requiredColumns,
        onBytes: (b) => {
          bytes = b;
        },
      });
      return whileImporting(batchId, () =>
        runImport(actor, unit.id, profile, batchId, items, undefined, (rows) =>
          options.onProgress?.({ bytes, totalBytes, rows }),
        ),
      );
    },

    async importRecords(actor, options) {
      assertCan(actor, 'incidents.import', options.unitId);
      const unit = await units.get(options.unitId);
      const profile =
        typeof options.profile === 'string' ? await loadProfile(options.profile) : options.profile;
      const batchId = await createBatch(actor, unit.id, profile, options.label, {
        records: options.records.length,
      });
      async function* items(): AsyncGenerator<CsvItem[]> {
        const batch: CsvItem[] = [];
        let rowNumber = 0;
        for (const input of options.records) {
          rowNumber += 1;
          const raw = input.raw;
          const problem = input.error ?? checkRecordShape(input.record, profile.requiredColumns);
          if (problem) batch.push({ kind: 'reject', rowNumber, lineNumber: rowNumber, reason: problem, raw });
          else {
            const record = Object.fromEntries(
              Object.entries(input.record as Record<string, unknown>).map(([k, v]) => [
                k,
                v === null ? '' : String(v),
              ]),
            );
            batch.push({ kind: 'record', rowNumber, lineNumber: rowNumber, record, raw });
          }
        }
        yield batch;
      }
      const outcomes = new Map<number, RecordOutcome>();
      const summary = await whileImporting(batchId, () =>
        runImport(actor, unit.id, profile, batchId, items(), outcomes),
      );
      return {
        summary,
        // A record has an outcome once what happened to it committed; one without was never written (the import
        // stopped first), and is said so rather than guessed.
        results: options.records.map(
          (_, i) =>
            outcomes.get(i + 1) ?? {
              status: 'rejected' as const,
              field: null,
              reason: `not stored: the import stopped before this record was written (${summary.failure ?? 'no reason given'})`,
            },
        ),
      };
    },

    async getBatch(actor, batchId) {
      const row = await db
        .selectFrom('import_batches')
        .selectAll()
        .where('id', '=', batchId)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('Import batch', batchId);
      assertCan(actor, 'records.read', row.unit_id);
      return { ...toSummary(row), unitId: row.unit_id, profile: row.profile, fileName: row.file_name };
    },

    async listBatches(actor, unitId, limit = 20) {
      assertCan(actor, 'records.read', unitId);
      const rows = await db
        .selectFrom('import_batches')
        .selectAll()
        .where('unit_id', '=', unitId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        ...toSummary(row),
        profile: row.profile,
        fileName: row.file_name,
        startedAt: row.started_at,
        running: row.status === 'running',
      }));
    },

    async recoverInterrupted() {
      const running = await db
        .selectFrom('import_batches')
        .select(['id', 'unit_id'])
        .where('status', '=', 'running')
        .orderBy('id')
        .execute();
      const recovered: number[] = [];
      for (const batch of running) {
        if (active.has(batch.id)) continue;
        const mark = () =>
          db.transaction().execute(async (trx) => {
            const row = await trx
              .updateTable('import_batches')
              .set({ status: 'interrupted', failure: INTERRUPTED, finished_at: clock.now() })
              .where('id', '=', batch.id)
              .where('status', '=', 'running')
              .returningAll()
              .executeTakeFirst();
            if (!row) return false;
            await audit.append(trx, systemActor, {
              operation: 'alteration',
              entityType: 'import_batch',
              entityId: batch.id,
              unitId: batch.unit_id,
              before: { status: 'running' },
              after: { ...toSummary(row) },
            });
            return true;
          });
        if (!sessionLocks) {
          if (await mark()) recovered.push(batch.id);
          continue;
        }
        const done = await db.connection().execute(async (conn) => {
          const { rows } = await sql<{ free: boolean }>`
            select pg_try_advisory_lock(${IMPORT_LOCK_CLASS}::int, ${batch.id}::int) as free`.execute(conn);
          if (!rows[0]?.free) return false;
          try {
            return await mark();
          } finally {
            await sql`select pg_advisory_unlock(${IMPORT_LOCK_CLASS}::int, ${batch.id}::int)`.execute(conn);
          }
        });
        if (done) recovered.push(batch.id);
      }
      return recovered;
    },

    async listRejects(actor, batchId) {
      await this.getBatch(actor, batchId);
      const rows = await db
        .selectFrom('import_rejects')
        .select(['row_number', 'line_number', 'field', 'reason', 'raw'])
        .where('batch_id', '=', batchId)
        .orderBy('row_number')
        .execute();
      return rows.map((r) => ({
        rowNumber: r.row_number,
        lineNumber: r.line_number,
        field: r.field,
        reason: r.reason,
        raw: r.raw,
      }));
    },
  };
}
