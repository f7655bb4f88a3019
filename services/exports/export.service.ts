/**
 * Exports of decisions, actions and the audit log for disclosure and results analysis. Every export is itself
 * recorded in the audit log as a disclosure (what, to whom, how many records).
 */

import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import type { Actor } from '../access/actor.js';
import { assertCan } from '../access/permissions.js';
import { selectActionsWithOwner } from '../actions/action.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { groupBy } from '../collections.js';
import { selectDecisions } from '../decisions/decision.service.js';
import { ValidationError } from '../errors.js';
import { addDays, startOfLocalDay } from '../time.js';
import type { UnitService } from '../units/unit.service.js';
import {
  highestMarking,
  id,
  isoDate,
  type Marking,
  marking,
  parseInput,
  text,
  withinCeiling,
} from '../validation.js';

export const EXPORT_FORMATS = ['csv', 'json'] as const;

/**
 * What a disclosure must record (DPA 2018 s.62): who receives the data and why. Where the file goes is recorded
 * beside them, but it is not a recipient.
 */
const disclosureFields = {
  recipients: z.array(text(200)).min(1, 'name at least one recipient (a person, post or organisation)'),
  justification: text(500),
  destination: text(500),
  channel: text(40).default('cli'),
};
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const recordsExportSchema = z
  .object({
    kind: z.enum(['decisions', 'actions'], { error: 'must be decisions or actions' }),
    unitId: id,
    from: isoDate,
    to: isoDate,
    format: z.enum(EXPORT_FORMATS, { error: 'must be csv or json' }),
    ...disclosureFields,
    /** Rows marked above this are left out (counted in the disclosure, never written). */
    ceiling: marking.default('OFFICIAL-SENSITIVE'),
  })
  .refine((v) => v.from <= v.to, { message: 'must be on or before --to', path: ['from'] });

const auditExportSchema = z.object({
  format: z.enum(EXPORT_FORMATS, { error: 'must be csv or json' }),
  ...disclosureFields,
});

export interface ExportResult {
  readonly content: string;
  readonly count: number;
  /** The file's marking: the highest of any row in it (the audit log holds records' details: OFFICIAL-SENSITIVE). */
  readonly marking: Marking;
  /** Rows left out for being marked above the ceiling. */
  readonly withheld: number;
}

export interface ExportService {
  exportRecords(actor: Actor, input: z.input<typeof recordsExportSchema>): Promise<ExportResult>;
  exportAudit(actor: Actor, input: z.input<typeof auditExportSchema>): Promise<ExportResult>;
}

type Row = Record<string, string | number | boolean | null>;

function render(rows: Row[], columns: readonly string[], format: ExportFormat): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  // csv-stringify quotes fields with commas, quotes or newlines (RFC 4180); a formula-looking cell is prefixed
  // with a quote so a spreadsheet opens it as text, not as a formula (CSV injection).
  return stringify(
    rows.map((r) => columns.map((c) => neutraliseFormula(r[c] ?? null))),
    { header: true, columns: [...columns] },
  );
}

/**
 * Records with the file's marking at the top (and, in CSV, the bottom, as on a document): a JSON file is
 * `{marking, records}`; a CSV file begins and ends with a `# MARKING` line (read it with the comment character `#`).
 */
function renderMarked(
  rows: Row[],
  columns: readonly string[],
  format: ExportFormat,
  fileMarking: Marking,
): string {
  if (format === 'json') return `${JSON.stringify({ marking: fileMarking, records: rows }, null, 2)}\n`;
  return `# ${fileMarking}\n${render(rows, columns, 'csv')}# ${fileMarking}\n`;
}

function neutraliseFormula(value: string | number | boolean | null): string | number | boolean | null {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const DECISION_COLUMNS = [
  'id',
  'unit',
  'meeting_id',
  'decided_at',
  'decision_maker',
  'text',
  'information',
  'threat_risk',
  'powers_policy',
  'options_considered',
  'chosen_option',
  'review_point',
  'priority_id',
  'incident_ref',
  'marking',
  'supersedes_id',
  'correction_reason',
  'superseded_by_id',
] as const;

const ACTION_COLUMNS = [
  'id',
  'unit',
  'meeting_id',
  'created_at',
  'title',
  'owner',
  'owner_post',
  'action_manager',
  'due_on',
  'category',
  'status',
  'result',
  'decision_id',
  'priority_id',
  'incident_ref',
  'marking',
  'version',
  'updated_at',
  'history',
] as const;

const AUDIT_COLUMNS = [
  'seq',
  'at',
  'actor_person_id',
  'actor_label',
  'operation',
  'entity_type',
  'entity_id',
  'unit_id',
  'before',
  'after',
  'recipients',
  'channel',
  'prev_hash',
  'hash',
] as const;

export function createExportService(deps: {
  db: Kysely<Database>;
  audit: AuditService;
  clock: Clock;
  units: UnitService;
}): ExportService {
  const { db, audit, units } = deps;

  return {
    async exportRecords(actor, input) {
      const data = parseInput(recordsExportSchema, input);
      assertCan(actor, 'records.export', data.unitId);
      const unit = await units.get(data.unitId);
      const from = startOfLocalDay(data.from, unit.timeZone);
      const to = startOfLocalDay(addDays(data.to, 1), unit.timeZone);
      let rows: Row[];
      let columns: readonly string[];
      if (data.kind === 'decisions') {
        columns = DECISION_COLUMNS;
        const found = await selectDecisions(db)
          .where('d.unit_id', '=', unit.id)
          .where('d.decided_at', '>=', from)
          .where('d.decided_at', '<', to)
          .orderBy('d.id')
          .execute();
        rows = found.map((d) => ({
          id: d.id,
          unit: unit.code,
          meeting_id: d.meeting_id,
          decided_at: d.decided_at.toISOString(),
          decision_maker: d.decision_maker_name,
          text: d.text,
          information: d.information,
          threat_risk: d.threat_risk,
          powers_policy: d.powers_policy,
          options_considered: d.options_considered,
          chosen_option: d.chosen_option,
          review_point: d.review_point,
          priority_id: d.priority_id,
          incident_ref: d.incident_ref,
          marking: d.marking,
          supersedes_id: d.supersedes_id,
          correction_reason: d.correction_reason,
          superseded_by_id: d.superseded_by_id,
        }));
      } else {
        columns = ACTION_COLUMNS;
        const found = await selectActionsWithOwner(db)
          .where('a.unit_id', '=', unit.id)
          .where('a.created_at', '>=', from)
          .where('a.created_at', '<', to)
          .orderBy('a.id')
          .execute();
        // The action manager's name, and each action's status history (when, from, to, who, the reason given).
        const ids = found.map((a) => a.id);
        const managerIds = [...new Set(found.map((a) => a.action_manager_id).filter((m) => m !== null))];
        const [managers, updates] = await Promise.all([
          managerIds.length === 0
            ? []
            : db.selectFrom('people').select(['id', 'display_name']).where('id', 'in', managerIds).execute(),
          ids.length === 0
            ? []
            : db
                .selectFrom('action_updates')
                .select(['action_id', 'at', 'from_status', 'to_status', 'actor_label', 'note'])
                .where('action_id', 'in', ids)
                .where('to_status', 'is not', null)
                .orderBy('at')
                .orderBy('id')
                .execute(),
        ]);
        const managerName = new Map(managers.map((m) => [m.id, m.display_name]));
        const updatesOf = groupBy(updates, (u) => u.action_id);
        const history = (id: number) =>
          (updatesOf.get(id) ?? [])
            .map(
              (u) =>
                `${u.at.toISOString()} ${u.from_status ?? 'new'} -> ${u.to_status} by ${u.actor_label}${u.note ? `: ${u.note}` : ''}`,
            )
            .join(' | ');
        rows = found.map((a) => ({
          id: a.id,
          unit: unit.code,
          meeting_id: a.meeting_id,
          created_at: a.created_at.toISOString(),
          title: a.title,
          owner: a.owner_name,
          owner_post: a.owner_post,
          action_manager:
            a.action_manager_id === null ? null : (managerName.get(a.action_manager_id) ?? null),
          due_on: a.due_on,
          category: a.category,
          status: a.status,
          result: a.result,
          decision_id: a.decision_id,
          priority_id: a.priority_id,
          incident_ref: a.incident_ref,
          marking: a.marking,
          version: a.version,
          updated_at: a.updated_at.toISOString(),
          history: history(a.id),
        }));
      }
      // Rows above the ceiling are left out; the file carries the highest marking of the rows it holds.
      const kept = rows.filter((r) => withinCeiling(r.marking as Marking, data.ceiling));
      const fileMarking = highestMarking(kept.map((r) => ({ marking: r.marking as Marking })));
      await audit.record(actor, {
        operation: 'disclosure',
        entityType: `${data.kind}_export`,
        entityId: `${unit.code}:${data.from}..${data.to}`,
        unitId: unit.id,
        after: {
          kind: data.kind,
          from: data.from,
          to: data.to,
          format: data.format,
          count: kept.length,
          ids: kept.map((r) => r.id),
          marking: fileMarking,
          ceiling: data.ceiling,
          withheld: rows.length - kept.length,
          justification: data.justification,
          destination: data.destination,
        },
        recipients: data.recipients,
        channel: data.channel,
      });
      return {
        content: renderMarked(kept, columns, data.format, fileMarking),
        count: kept.length,
        marking: fileMarking,
        withheld: rows.length - kept.length,
      };
    },

    async exportAudit(actor, input) {
      const data = parseInput(auditExportSchema, input);
      if (actor.kind !== 'system' && !actor.roles.includes('admin')) {
        throw ValidationError.field('actor', 'the audit log is exported by an admin or the system operator');
      }
      const events = await audit.list();
      const rows: Row[] = events.map((e) => ({
        seq: e.seq,
        at: e.at.toISOString(),
        actor_person_id: e.actorPersonId,
        actor_label: e.actorLabel,
        operation: e.operation,
        entity_type: e.entityType,
        entity_id: e.entityId,
        unit_id: e.unitId,
        before: e.before === null ? null : JSON.stringify(e.before),
        after: e.after === null ? null : JSON.stringify(e.after),
        recipients: e.recipients === null ? null : JSON.stringify(e.recipients),
        channel: e.channel,
        prev_hash: e.prevHash,
        hash: e.hash,
      }));
      const content =
        data.format === 'json' ? `${JSON.stringify(events, null, 2)}\n` : render(rows, AUDIT_COLUMNS, 'csv');
      await audit.record(actor, {
        operation: 'disclosure',
        entityType: 'audit_export',
        entityId: `1..${events.length}`,
        unitId: null,
        after: {
          format: data.format,
          count: events.length,
          lastSeq: events.at(-1)?.seq ?? 0,
          justification: data.justification,
          destination: data.destination,
        },
        recipients: data.recipients,
        channel: data.channel,
      });
      return { content, count: events.length, marking: 'OFFICIAL-SENSITIVE', withheld: 0 };
    },
  };
}
