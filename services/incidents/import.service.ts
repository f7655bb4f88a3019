/**
 * Imports incidents from a CSV file through a mapping profile. Idempotent on (source, reference): a re-import
 * of the same file changes nothing; a changed record updates its incident and the change is audited with
 * before and after. Every record that cannot be imported is kept (batch, row and line number, raw text, reason
 * naming the field) and the good records around it are imported.
 *
 * A file-level problem (empty, binary, wrong encoding, wrong column set) is found before any incident is
 * written. Writes go in chunks, each chunk with its rejects and audit event in one transaction; an interrupted
 * import is completed by running it again.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import type { Database, ImportBatchRow, IncidentRow } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { NotFoundError } from '../errors.js';
import type { UnitService } from '../units/unit.service.js';
import { type CsvItem, ImportFileError, readCsv, scanFile } from './csv-reader.js';
import type { MappedIncident } from './incident.model.js';
import { createMapper, mergeIncidents } from './mapper.js';
import { loadProfile } from './profile.js';

export { ImportFileError };

const CHUNK = 500;

export interface ImportSummary {
  readonly batchId: number;
  readonly status: 'completed' | 'failed';
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
  /** A shipped profile name or a path to a profile JSON file. */
  readonly profile: string;
  readonly file: string;
  readonly encoding?: 'utf-8' | 'latin1';
  readonly onProgress?: (progress: { bytes: number; totalBytes: number; rows: number }) => void;
}

export interface IncidentImportService {
  importFile(actor: Actor, options: ImportOptions): Promise<ImportSummary>;
  getBatch(
    actor: Actor,
    batchId: number,
  ): Promise<ImportSummary & { unitId: number; profile: string; fileName: string }>;
  listRejects(actor: Actor, batchId: number): Promise<ImportReject[]>;
}

interface Pending {
  readonly incident: MappedIncident;
  readonly rowNumber: number;
  readonly lineNumber: number;
}

interface Counters {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  merged: number;
  rejected: number;
}

function contentHash(incident: MappedIncident): string {
  return createHash('sha256').update(incident.raw).digest('hex');
}

function toValues(unitId: number, batchId: number, incident: MappedIncident, hash: string) {
  return {
    unit_id: unitId,
    source: incident.source,
    reference: incident.reference,
    opened_at: incident.openedAt,
    first_deployed_at: incident.firstDeployedAt,
    arrived_at: incident.arrivedAt,
    closed_at: incident.closedAt,
    event_at: incident.openedAt ?? incident.firstDeployedAt ?? incident.arrivedAt ?? incident.closedAt,
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
    raw: incident.raw,
    content_hash: hash,
    import_batch_id: batchId,
    marking: 'OFFICIAL',
  };
}

/** The audited view of an incident: its mapped fields, not the raw text (which the hash stands for). */
function auditView(row: Pick<IncidentRow, keyof ReturnType<typeof toValues>>) {
  const { raw: _raw, import_batch_id: _batch, ...rest } = row;
  return rest;
}

function toSummary(row: ImportBatchRow): ImportSummary {
  return {
    batchId: row.id,
    status: row.status as 'completed' | 'failed',
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

export function createIncidentImportService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
}): IncidentImportService {
  const { db, audit, clock, units } = deps;

  async function writeChunk(
    actor: Actor,
    batchId: number,
    unitId: number,
    pending: readonly Pending[],
    rejects: readonly (ImportReject & { field: string | null })[],
    counters: Counters,
  ) {
    await db.transaction().execute(async (trx) => {
      if (rejects.length > 0) {
        await trx
          .insertInto('import_rejects')
          .values(
            rejects.map((r) => ({
              batch_id: batchId,
              row_number: r.rowNumber,
              line_number: r.lineNumber,
              field: r.field,
              reason: r.reason,
              raw: r.raw,
            })),
          )
          .execute();
        counters.rejected += rejects.length;
      }
      if (pending.length === 0) return;
      const source = pending[0]?.incident.source ?? '';
      const existing = new Map(
        (
          await trx
            .selectFrom('incidents')
            .selectAll()
            .where('source', '=', source)
            .where(
              'reference',
              'in',
              pending.map((p) => p.incident.reference),
            )
            .execute()
        ).map((r) => [r.reference, r]),
      );
      const inserts: ReturnType<typeof toValues>[] = [];
      const lateRejects: Array<{ p: Pending; reason: string }> = [];
      for (const p of pending) {
        const hash = contentHash(p.incident);
        const found = existing.get(p.incident.reference);
        if (!found) {
          inserts.push(toValues(unitId, batchId, p.incident, hash));
          continue;
        }
        if (found.unit_id !== unitId) {
          lateRejects.push({
            p,
            reason: `reference ${p.incident.reference} already belongs to another unit (id ${found.unit_id})`,
          });
          continue;
        }
        if (found.content_hash === hash) {
          counters.unchanged += 1;
          continue;
        }
        await updateIncident(trx, actor, found, toValues(unitId, batchId, p.incident, hash));
        counters.updated += 1;
      }
      if (inserts.length > 0) {
        const ids = await trx
          .insertInto('incidents')
          .values(inserts)
          .onConflict((oc) => oc.columns(['source', 'reference']).doNothing())
          .returning('id')
          .execute();
        counters.inserted += ids.length;
        // A row another import inserted between our read and our write: count it as unchanged, never twice.
        counters.unchanged += inserts.length - ids.length;
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'incidents',
          entityId: `batch:${batchId}`,
          unitId,
          after: { inserted: ids.length, source, ids: ids.map((r) => r.id) },
        });
      }
      if (lateRejects.length > 0) {
        await trx
          .insertInto('import_rejects')
          .values(
            lateRejects.map(({ p, reason }) => ({
              batch_id: batchId,
              row_number: p.rowNumber,
              line_number: p.lineNumber,
              field: 'reference',
              reason,
              raw: p.incident.raw,
            })),
          )
          .execute();
        counters.rejected += lateRejects.length;
      }
    });
  }

  async function updateIncident(
    trx: Transaction<Database>,
    actor: Actor,
    before: IncidentRow,
    values: ReturnType<typeof toValues>,
  ) {
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
  }

  return {
    async importFile(actor, options) {
      assertCan(actor, 'incidents.import', options.unitId);
      const unit = await units.get(options.unitId);
      const profile = await loadProfile(options.profile);
      const encoding = options.encoding ?? profile.encoding;
      // File-level checks first: nothing is written for a file that cannot be imported at all.
      const { bytes: totalBytes } = await scanFile(options.file, encoding);

      const batch = await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('import_batches')
          .values({
            unit_id: unit.id,
            source: profile.source,
            profile: profile.name,
            file_name: path.basename(options.file),
            actor_label: actor.label,
            status: 'running',
            failure: null,
            unmapped: '{}',
            started_at: clock.now(),
            finished_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit.append(trx, actor, {
          operation: 'collection',
          entityType: 'import_batch',
          entityId: row.id,
          unitId: unit.id,
          after: { profile: profile.name, file: row.file_name, bytes: totalBytes },
        });
        return row;
      });

      const counters: Counters = { read: 0, inserted: 0, updated: 0, unchanged: 0, merged: 0, rejected: 0 };
      const unmapped: Record<string, Record<string, number>> = {};
      const mapper = createMapper(profile);
      let pending: Pending[] = [];
      let rejects: ImportReject[] = [];
      const merged = new Map<string, Pending>();
      // References already read from this file, so a repeat is treated the same way on every import: an
      // identical repeat is folded in, a different one is rejected and the first row is kept.
      const seen = new Map<string, { row: number; hash: string }>();
      let bytes = 0;
      let failure: string | null = null;

      const flush = async () => {
        await writeChunk(actor, batch.id, unit.id, pending, rejects, counters);
        pending = [];
        rejects = [];
        options.onProgress?.({ bytes, totalBytes, rows: counters.read });
      };

      try {
        const items = readCsv(options.file, {
          encoding,
          delimiter: profile.delimiter,
          requiredColumns: profile.requiredColumns,
          onBytes: (b) => {
            bytes = b;
          },
        });
        for await (const item of items as AsyncIterable<CsvItem>) {
          counters.read += 1;
          if (item.kind === 'reject') {
            rejects.push({
              rowNumber: item.rowNumber,
              lineNumber: item.lineNumber,
              field: null,
              reason: item.reason,
              raw: item.raw,
            });
          } else {
            const result = mapper.map(item.record, item.raw);
            if (!result.ok) {
              rejects.push({
                rowNumber: item.rowNumber,
                lineNumber: item.lineNumber,
                field: result.field,
                reason: `${result.field}: ${result.reason}`,
                raw: item.raw,
              });
            } else {
              for (const [field, value] of result.unmapped) {
                unmapped[field] ??= {};
                unmapped[field][value] = (unmapped[field][value] ?? 0) + 1;
              }
              const entry = {
                incident: result.incident,
                rowNumber: item.rowNumber,
                lineNumber: item.lineNumber,
              };
              if (profile.merge) {
                // Rows of one incident (one per attending unit) are merged before writing; merge profiles are
                // for snapshot-sized files, since every incident is held until the end of the file.
                const earlier = merged.get(result.incident.reference);
                if (earlier) {
                  merged.set(result.incident.reference, {
                    ...earlier,
                    incident: mergeIncidents(earlier.incident, result.incident),
                  });
                  counters.merged += 1;
                } else {
                  merged.set(result.incident.reference, entry);
                }
              } else {
                const hash = contentHash(result.incident);
                const prior = seen.get(result.incident.reference);
                if (!prior) {
                  seen.set(result.incident.reference, { row: item.rowNumber, hash });
                  pending.push(entry);
                } else if (prior.hash === hash) {
                  counters.merged += 1;
                } else {
                  rejects.push({
                    rowNumber: item.rowNumber,
                    lineNumber: item.lineNumber,
                    field: 'reference',
                    reason: `reference: ${result.incident.reference} repeats row ${prior.row} of this file with different content; the first row is kept`,
                    raw: item.raw,
                  });
                }
              }
            }
          }
          if (pending.length + rejects.length >= CHUNK) await flush();
        }
        for (const entry of merged.values()) {
          pending.push(entry);
          if (pending.length >= CHUNK) await flush();
        }
        await flush();
      } catch (error) {
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
          .where('id', '=', batch.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit.append(trx, actor, {
          operation: 'alteration',
          entityType: 'import_batch',
          entityId: batch.id,
          unitId: unit.id,
          before: { status: 'running' },
          after: { status: row.status, failure, ...counters },
        });
        return row;
      });
      return toSummary(finished);
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
