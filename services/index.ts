/**
 * Builds every domain service around one database handle and clock. No globals: `createApp` (and each test)
 * calls this once and passes the result down.
 */

import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { createSystemActor } from './access/actor.js';
import { type ActionService, createActionService, selectActionsWithOwner } from './actions/action.service.js';
import { TERMINAL_STATUSES } from './actions/transitions.js';
import { type AuditService, createAuditService } from './audit/audit.service.js';
import type { AuditKeyring } from './audit/audit-keys.js';
import type { Brief } from './briefs/brief.model.js';
import { type BriefService, createBriefService } from './briefs/brief.service.js';
import type { BriefLabels } from './briefs/labels.js';
import { type ChannelService, createChannelService } from './channels/channel.service.js';
import { type Clock, systemClock } from './clock.js';
import { groupBy } from './collections.js';
import {
  createDecisionService,
  type DecisionService,
  selectDecisions,
} from './decisions/decision.service.js';
import { createDeliveryService, type DeliveryService } from './deliveries/delivery.service.js';
import { createEscalationService, type EscalationService } from './escalations/escalation.service.js';
import { createExportService, type ExportService } from './exports/export.service.js';
import { createForwardLookService, type ForwardLookService } from './forward-look/forward-look.service.js';
import { createIncidentImportService, type IncidentImportService } from './incidents/import.service.js';
import { createPictureService, type PictureService } from './incidents/picture.service.js';
import { createIntelligenceService, type IntelligenceService } from './intelligence/requirement.service.js';
import { exceptionSectionKey } from './meetings/default-agenda.js';
import { createMeetingService, type MeetingService } from './meetings/meeting.service.js';
import type { MinutesException, MinutesInput } from './meetings/minutes.js';
import { createPeopleService, type PeopleService } from './people/people.service.js';
import { createPriorityService, type PriorityService } from './priorities/priority.service.js';
import { createReminderService, type ReminderService } from './reminders/reminder.service.js';
import { createResultsService, type ResultsService } from './results/results.service.js';
import { createSubmissionLedger } from './submissions/submission.ledger.js';
import { createTcgPackService, type TcgPackService } from './tcg/pack.service.js';
import { formatLocal } from './time.js';
import { createTokenService, type TokenService } from './tokens/token.service.js';
import { createUnitService, type UnitService } from './units/unit.service.js';
import type { Marking } from './validation.js';

export interface Services {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  /** The audit keys these services sign with (services made from these ones must use the same). */
  readonly auditKeyring: AuditKeyring | undefined;
  readonly audit: AuditService;
  readonly units: UnitService;
  readonly people: PeopleService;
  readonly priorities: PriorityService;
  readonly meetings: MeetingService;
  readonly decisions: DecisionService;
  readonly actions: ActionService;
  readonly exports: ExportService;
  readonly incidentImports: IncidentImportService;
  readonly pictures: PictureService;
  readonly forwardLook: ForwardLookService;
  readonly briefs: BriefService;
  readonly tokens: TokenService;
  readonly channels: ChannelService;
  readonly deliveries: DeliveryService;
  readonly reminders: ReminderService;
  readonly escalations: EscalationService;
  readonly intelligence: IntelligenceService;
  readonly results: ResultsService;
  readonly tcgPacks: TcgPackService;
}

/** The status changes of previous actions reviewed at a first DMM reach back this far (there is no last one). */
const FIRST_REVIEW_HOURS = 24;

/**
 * The actions raised before a meeting that it reviews: those still open, and those that changed since the last
 * DMM of the unit, each with its status changes since then (who, when, from, to, and the reason given).
 */
async function previousActions(
  trx: Transaction<Database>,
  meetingId: number,
): Promise<NonNullable<MinutesInput['previousActions']>> {
  const meeting = await trx
    .selectFrom('meetings')
    .select(['unit_id', 'started_at', 'created_at'])
    .where('id', '=', meetingId)
    .executeTakeFirstOrThrow();
  const start = meeting.started_at ?? meeting.created_at;
  const last = await trx
    .selectFrom('meetings')
    .select((eb) => eb.fn.max('closed_at').as('closed_at'))
    .where('unit_id', '=', meeting.unit_id)
    .where('id', '<>', meetingId)
    .where('closed_at', '<', start)
    .executeTakeFirst();
  const since = last?.closed_at
    ? new Date(last.closed_at)
    : new Date(start.getTime() - FIRST_REVIEW_HOURS * 3_600_000);
  const actions = await selectActionsWithOwner(trx)
    .where('a.unit_id', '=', meeting.unit_id)
    .where((eb) => eb.or([eb('a.meeting_id', 'is', null), eb('a.meeting_id', '<>', meetingId)]))
    .where('a.created_at', '<', start)
    .where((eb) => eb.or([eb('a.status', 'not in', [...TERMINAL_STATUSES]), eb('a.updated_at', '>=', since)]))
    .orderBy('a.id')
    .execute();
  if (actions.length === 0) return [];
  const changes = await trx
    .selectFrom('action_updates')
    .select(['action_id', 'at', 'from_status', 'to_status', 'actor_label', 'note'])
    .where(
      'action_id',
      'in',
      actions.map((a) => a.id),
    )
    // Status changes only: a due date or an owner changed is not a change of status.
    .where('kind', 'in', ['created', 'status'])
    .where('at', '>=', since)
    .orderBy('at')
    .orderBy('id')
    .execute();
  const byAction = groupBy(changes, (c) => c.action_id);
  // Why each action stands where it does (a blocked action's reason), even when it has not changed since.
  const standing = new Map<number, { at: Date; note: string | null }>();
  for (const u of await trx
    .selectFrom('action_updates')
    .select(['action_id', 'at', 'note'])
    .where(
      'action_id',
      'in',
      actions.map((a) => a.id),
    )
    .where('kind', '=', 'status')
    .orderBy('id', 'desc')
    .execute())
    if (!standing.has(u.action_id)) standing.set(u.action_id, { at: u.at, note: u.note });
  return actions.map((a) => ({
    id: a.id,
    title: a.title,
    owner: a.owner_name ?? a.owner_post ?? 'unassigned',
    status: a.status,
    marking: a.marking as Marking,
    standing: standing.get(a.id) ?? null,
    changes: (byAction.get(a.id) ?? []).map((c) => ({
      at: c.at,
      from: c.from_status,
      to: c.to_status,
      by: c.actor_label,
      note: c.note,
    })),
  }));
}

/** Decisions and actions of a meeting, with names resolved, for its minutes. */
async function minutesSource(
  trx: Transaction<Database>,
  meetingId: number,
): Promise<Pick<MinutesInput, 'decisions' | 'actions' | 'previousActions' | 'escalations'>> {
  const decisions = await selectDecisions(trx)
    .where('d.meeting_id', '=', meetingId)
    .orderBy('d.decided_at')
    .orderBy('d.id')
    .execute();
  const actions = await selectActionsWithOwner(trx)
    .where('a.meeting_id', '=', meetingId)
    .orderBy('a.id')
    .execute();
  return {
    previousActions: await previousActions(trx, meetingId),
    escalations: (
      await trx
        .selectFrom('escalations')
        .selectAll()
        .where('meeting_id', '=', meetingId)
        .orderBy('id')
        .execute()
    ).map((e) => ({
      id: e.id,
      what: e.what,
      why: e.why,
      resources: e.resources,
      tcg: e.tcg,
      marking: e.marking as Marking,
    })),
    decisions: decisions.map((d) => ({
      id: d.id,
      text: d.text,
      decisionMaker: d.decision_maker_name,
      decidedAt: d.decided_at,
      marking: d.marking as Marking,
      information: d.information,
      threatRisk: d.threat_risk,
      powersPolicy: d.powers_policy,
      optionsConsidered: d.options_considered,
      chosenOption: d.chosen_option,
      reviewPoint: d.review_point,
      supersedesId: d.supersedes_id,
      correctionReason: d.correction_reason,
      supersededById: d.superseded_by_id,
    })),
    actions: actions.map((a) => ({
      id: a.id,
      title: a.title,
      owner: a.owner_name ?? a.owner_post ?? 'unassigned',
      dueOn: a.due_on,
      category: a.category,
      status: a.status,
      result: a.result,
      marking: a.marking as Marking,
    })),
  };
}

/** Who reads the day's brief for the minutes at a close (the meeting's chair is checked by the close itself). */
const MINUTES_READER = createSystemActor('minutes');

/** The brief's exceptions as the minutes record them, each with the agenda section that discusses it. */
function briefExceptions(brief: Brief): MinutesException[] {
  const zone = brief.unit.timeZone;
  return brief.exceptions.items.map((e) => {
    const what = [e.type ?? 'type not recorded', e.grade].filter(Boolean).join(', ');
    const state =
      e.state === 'open'
        ? 'open'
        : `closed${e.closedAt ? ` ${formatLocal(new Date(e.closedAt), zone)}` : ''}${e.outcome ? `: ${e.outcome}` : ''}`;
    return {
      sectionKey: exceptionSectionKey(e.reasonCodes ?? []),
      reference: e.reference,
      summary: `${e.reasons.join(', ')}; ${what}; ${e.place ?? 'place not recorded'}; ${formatLocal(new Date(e.eventAt), zone)}; ${state}`,
      marking: e.marking,
    };
  });
}

export function createServices(deps: {
  db: Kysely<Database>;
  clock?: Clock;
  /** Which database `db` is (the handle's `kind`): PostgreSQL may be shared by several processes. */
  databaseKind?: 'pglite' | 'postgres';
  /** The audit keys (kept outside the database); without them audit events are hashed without a key. */
  auditKeyring?: AuditKeyring;
  /** The words briefs use for codes (services/briefs/labels.ts); the defaults without. */
  labels?: BriefLabels;
}): Services {
  const db = deps.db;
  const clock = deps.clock ?? systemClock;
  const audit = createAuditService({
    db,
    clock,
    ...(deps.auditKeyring ? { keyring: deps.auditKeyring } : {}),
  });
  const units = createUnitService({ db, audit });
  const people = createPeopleService({ db, audit });
  const priorities = createPriorityService({ db, audit, clock, units });
  const submissions = createSubmissionLedger({ db, clock });
  const meetings = createMeetingService({
    db,
    audit,
    clock,
    units,
    submissions,
    minutesSource,
    agendaExceptions: async (unitId, localDate) =>
      briefExceptions(await briefs.get(MINUTES_READER, unitId, localDate)),
  });
  const decisions = createDecisionService({ db, audit, clock, units, submissions });
  const actions = createActionService({ db, audit, clock, units, submissions });
  const exports = createExportService({ db, audit, clock, units });
  const incidentImports = createIncidentImportService({
    db,
    audit,
    clock,
    units,
    ...(deps.databaseKind ? { databaseKind: deps.databaseKind } : {}),
  });
  const pictures = createPictureService({ db, clock, units, priorities });
  const forwardLook = createForwardLookService({ db, audit, clock });
  const briefs = createBriefService({
    db,
    audit,
    clock,
    units,
    pictures,
    priorities,
    forwardLook,
    ...(deps.labels ? { labels: deps.labels } : {}),
  });
  const tokens = createTokenService({ db, audit, clock });
  const channels = createChannelService({ db, audit, clock });
  const deliveries = createDeliveryService({ db, audit, clock });
  const reminders = createReminderService({ db, audit, clock, units });
  const escalations = createEscalationService({ db, audit, clock, units, submissions });
  const intelligence = createIntelligenceService({ db, audit, clock, units, submissions });
  const results = createResultsService({ db, clock, units, priorities, actions, decisions });
  const tcgPacks = createTcgPackService({
    db,
    audit,
    clock,
    units,
    priorities,
    actions,
    decisions,
    escalations,
    intelligence,
    results,
  });
  return Object.freeze({
    db,
    clock,
    auditKeyring: deps.auditKeyring,
    audit,
    units,
    people,
    priorities,
    meetings,
    decisions,
    actions,
    exports,
    incidentImports,
    pictures,
    forwardLook,
    briefs,
    tokens,
    channels,
    deliveries,
    reminders,
    escalations,
    intelligence,
    results,
    tcgPacks,
  });
}
