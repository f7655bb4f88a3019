/**
 * The kysely `Database` interface: one table interface per table, snake_case as in SQL. Nullable columns are
 * `T | null` (never optional); `Generated<T>` marks columns the database fills. Row types stay inside
 * `services/`, which map them to domain types.
 */
import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** Calendar dates are read as 'YYYY-MM-DD' strings (see db/type-parsers.ts): no time-zone drift. */
type CalendarDate = string;
type Json = ColumnType<unknown, string, string>;

export interface UnitTable {
  id: Generated<number>;
  code: string;
  name: string;
  time_zone: string;
  brief_time: string;
  category_scheme: string;
  agenda_template: Json;
  parent_id: number | null;
  /** Minutes from opening to arrival, per canonical grade (migration 0016). */
  response_targets: ColumnType<Record<string, number>, string | undefined, string>;
  created_at: GeneratedTimestamp;
}

export interface PersonTable {
  id: Generated<number>;
  display_name: string;
  created_at: GeneratedTimestamp;
}

export interface IdentityTable {
  id: Generated<number>;
  person_id: number;
  platform: string;
  tenant_id: string;
  external_id: string;
  created_at: GeneratedTimestamp;
  /** The platform's address of the person where it differs from external_id (Teams: the MRI; migration 0025). */
  address: string | null;
}

export interface MembershipTable {
  unit_id: number;
  person_id: number;
  role: string;
  created_at: GeneratedTimestamp;
}

export interface PriorityTable {
  id: Generated<number>;
  unit_id: number;
  title: string;
  description: string | null;
  owner_person_id: number | null;
  starts_on: CalendarDate;
  ends_on: CalendarDate | null;
  morile_score: number | null;
  matching_rules: Json;
  marking: string;
  status: string;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  /** The TT&CG objective the priority serves (migration 0020). */
  objective: string | null;
  /** When the TT&CG reviews the priority (migration 0020). */
  review_on: CalendarDate | null;
}

export interface MeetingTable {
  id: Generated<number>;
  unit_id: number;
  local_date: CalendarDate;
  status: string;
  chair_person_id: number | null;
  started_at: Timestamp | null;
  closed_at: Timestamp | null;
  minutes_md: string | null;
  version: Generated<number>;
  created_at: GeneratedTimestamp;
  /** The minutes as a structured record (migration 0019), written at close; Markdown is rendered from it. */
  minutes: Json | null;
  approved_at: Timestamp | null;
  approved_by_person_id: number | null;
  approved_by_label: string | null;
  /** The audit chain's head, signed, as the chair approved the minutes. */
  approval_checkpoint: Json | null;
}

/** A correction or addition to closed or approved minutes (migration 0019); append-only. */
export interface MinutesAddendumTable {
  id: Generated<number>;
  meeting_id: number;
  author_person_id: number | null;
  author_label: string;
  text: string;
  marking: string;
  /** The minutes' status when it was added (closed, or approved: a correction after sign-off). */
  minutes_status: string;
  created_at: GeneratedTimestamp;
}

export interface AgendaItemTable {
  id: Generated<number>;
  meeting_id: number;
  position: number;
  section_key: string;
  title: string;
  feed: string;
  status: string;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
}

export interface MeetingNoteTable {
  id: Generated<number>;
  meeting_id: number;
  agenda_item_id: number | null;
  author_person_id: number | null;
  text: string;
  marking: string;
  created_at: GeneratedTimestamp;
}

export interface AttendanceTable {
  meeting_id: number;
  person_id: number;
  present: boolean;
  recorded_by: number | null;
  recorded_at: GeneratedTimestamp;
  /** What a person not present said in apology (migration 0018); null: present, or absent without apologies. */
  apology: string | null;
  /** From the meeting itself (migration 0026): when they first joined, and last left (null while in it). */
  joined_at: Date | null;
  left_at: Date | null;
}

/** Someone in the meeting who is not a linked member of the unit, by the name the meeting showed (0026). */
export interface MeetingGuestTable {
  meeting_id: number;
  ref: string;
  name: string;
  joined_at: Date;
  left_at: Date | null;
  recorded_at: GeneratedTimestamp;
}

export interface DecisionTable {
  id: Generated<number>;
  unit_id: number;
  meeting_id: number | null;
  agenda_item_id: number | null;
  text: string;
  decision_maker_id: number;
  decided_at: Timestamp;
  information: string;
  threat_risk: string;
  powers_policy: string;
  options_considered: string;
  chosen_option: string;
  review_point: string | null;
  priority_id: number | null;
  incident_ref: string | null;
  marking: string;
  supersedes_id: number | null;
  correction_reason: string | null;
  created_at: GeneratedTimestamp;
  /** When the decision is to be reviewed (migration 0022). */
  review_on: CalendarDate | null;
}

/** The escalation register (migration 0023): what the DMM escalates to the TT&CG, and the answer. */
export interface EscalationTable {
  id: Generated<number>;
  unit_id: number;
  meeting_id: number | null;
  action_id: number | null;
  what: string;
  why: string;
  resources: string | null;
  tcg: string;
  marking: string;
  raised_by_person_id: number | null;
  raised_by_label: string;
  raised_at: Timestamp;
  outcome: string | null;
  answered_by_label: string | null;
  answered_at: Timestamp | null;
}

/** The intelligence requirements register (migration 0024). */
export interface IntelligenceRequirementTable {
  id: Generated<number>;
  unit_id: number;
  question: string;
  priority_id: number | null;
  owner_person_id: number | null;
  expires_on: CalendarDate | null;
  marking: string;
  status: string;
  created_by_person_id: number | null;
  created_by_label: string;
  created_at: Timestamp;
  approved_by_label: string | null;
  approved_at: Timestamp | null;
  closed_by_label: string | null;
  closed_at: Timestamp | null;
  close_note: string | null;
  version: Generated<number>;
}

/** An answer recorded against an intelligence requirement (migration 0024); append-only. */
export interface IntelligenceAnswerTable {
  id: Generated<number>;
  requirement_id: number;
  answer: string;
  marking: string;
  by_person_id: number | null;
  by_label: string;
  meeting_id: number | null;
  at: Timestamp;
}

/** A review of a decision (migration 0022): confirmed (with the next review date, if any) or closed. */
export interface DecisionReviewTable {
  id: Generated<number>;
  decision_id: number;
  outcome: string;
  next_review_on: CalendarDate | null;
  note: string | null;
  reviewer_person_id: number | null;
  reviewer_label: string;
  meeting_id: number | null;
  reviewed_at: GeneratedTimestamp;
}

export interface ActionTable {
  id: Generated<number>;
  unit_id: number;
  title: string;
  description: string | null;
  owner_person_id: number | null;
  owner_post: string | null;
  action_manager_id: number | null;
  due_on: CalendarDate | null;
  category: string;
  status: string;
  result: string | null;
  meeting_id: number | null;
  decision_id: number | null;
  priority_id: number | null;
  incident_ref: string | null;
  marking: string;
  version: Generated<number>;
  created_by: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface ActionUpdateTable {
  id: Generated<number>;
  action_id: number;
  version: number;
  actor_person_id: number | null;
  actor_label: string;
  at: Timestamp;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  note: string | null;
  changes: Json;
}

export interface AuditEventTable {
  seq: number;
  at: Timestamp;
  actor_person_id: number | null;
  actor_label: string;
  operation: string;
  entity_type: string;
  entity_id: string;
  unit_id: number | null;
  before: Json | null;
  after: Json | null;
  recipients: Json | null;
  channel: string | null;
  prev_hash: string;
  hash: string;
  /** The key whose HMAC is `hash`; null for events written before keys (plain SHA-256). */
  key_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface ImportBatchTable {
  id: Generated<number>;
  unit_id: number;
  source: string;
  profile: string;
  file_name: string;
  actor_label: string;
  status: string;
  failure: string | null;
  read_count: Generated<number>;
  inserted_count: Generated<number>;
  updated_count: Generated<number>;
  unchanged_count: Generated<number>;
  merged_count: Generated<number>;
  rejected_count: Generated<number>;
  unmapped: Json;
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface ImportRejectTable {
  id: Generated<number>;
  batch_id: number;
  row_number: number;
  line_number: number;
  field: string | null;
  reason: string;
  raw: string;
}

export interface IncidentTable {
  id: Generated<number>;
  unit_id: number;
  source: string;
  reference: string;
  opened_at: Timestamp | null;
  first_deployed_at: Timestamp | null;
  arrived_at: Timestamp | null;
  closed_at: Timestamp | null;
  event_at: Timestamp | null;
  period_month: CalendarDate | null;
  how_reported: string | null;
  grade_initial: string | null;
  grade_final: string | null;
  force_grade_initial: string | null;
  force_grade_final: string | null;
  opening_type_code: string | null;
  closing_type_code: string | null;
  nsir_chapter: string | null;
  qualifiers: ColumnType<string[], string[], string[]>;
  area: string | null;
  beat: string | null;
  ward: string | null;
  latitude: number | null;
  longitude: number | null;
  thrive_risk: string | null;
  critical: boolean;
  units: ColumnType<string[], string[], string[]>;
  priority_id: number | null;
  marking: string;
  raw: string;
  content_hash: string;
  import_batch_id: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  /** Generated (migration 0017): beat, else ward, else area, as `beat:K2`; null when none is given. */
  place_key: GeneratedAlways<string | null>;
  /** Generated (migration 0017): 1 critical, 2 G1, 3 high THRIVE risk, 4 a qualifier, 0 not an exception. */
  exception_class: GeneratedAlways<number>;
  /** Generated (migration 0017): a digest of the values a brief counts by. */
  picture_group: GeneratedAlways<string>;
}

export interface ForwardLookTable {
  id: Generated<number>;
  unit_id: number;
  kind: string;
  title: string;
  starts_at: Timestamp;
  ends_at: Timestamp | null;
  location: string | null;
  details: string | null;
  marking: string;
  status: string;
  version: Generated<number>;
  created_by: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface BriefRunTable {
  id: Generated<number>;
  unit_id: number;
  local_date: CalendarDate;
  content: Json;
  built_at: Timestamp;
  window_start: Timestamp | null;
  window_end: Timestamp | null;
  /** When an import changed an incident in the window after the brief was built (null: current). */
  stale_at: Timestamp | null;
}

export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  token_prefix: string;
  token_hash: string;
  unit_ids: ColumnType<number[], number[], number[]>;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  created_by: string;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  ceiling: ColumnType<string, string | undefined, string>;
}

export interface PictureWindowCountsTable {
  unit_id: number;
  window_start: Timestamp;
  window_end: Timestamp;
  counts: Json;
  computed_at: Timestamp;
}

export interface ChannelBindingTable {
  id: Generated<number>;
  platform: string;
  tenant_id: string;
  conversation_id: string;
  kind: string;
  person_id: number | null;
  unit_id: number | null;
  audience: ColumnType<string, string | undefined, string>;
  ceiling: ColumnType<string, string | undefined, string>;
  reference: ColumnType<unknown, string | null, string | null>;
  linked_by: number | null;
  linked_at: Timestamp | null;
  seen_at: Timestamp;
}

export interface PostedMessageTable {
  id: Generated<number>;
  platform: string;
  tenant_id: string;
  conversation_id: string;
  message_id: string;
  subject_type: string;
  subject_id: number;
  posted_at: Timestamp;
}

export interface SubmissionTable {
  key: string;
  verb: string;
  person_id: number | null;
  actor_label: string;
  entity_type: string | null;
  entity_id: number | null;
  created_at: Timestamp;
}

export interface JobRunTable {
  id: Generated<number>;
  job: string;
  unit_id: number;
  local_date: CalendarDate;
  due_at: Timestamp;
  claimed_at: Timestamp;
  claimed_by: string;
  late: ColumnType<boolean, boolean | undefined, boolean>;
  deliveries: ColumnType<number, number | undefined, number>;
}

export interface DeliveryTable {
  id: Generated<number>;
  job_run_id: number | null;
  unit_id: number;
  binding_id: number | null;
  person_id: number | null;
  kind: string;
  payload: ColumnType<unknown, string, string>;
  marking: string;
  status: ColumnType<string, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  locked_until: Timestamp | null;
  locked_by: string | null;
  last_error: string | null;
  message_id: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  /** A platform call began and no definite answer came since (see migration 0010). */
  attempt_started_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface ReminderSnoozeTable {
  action_id: number;
  person_id: number;
  until_date: CalendarDate;
  created_at: Timestamp;
}

export interface Database {
  units: UnitTable;
  people: PersonTable;
  identities: IdentityTable;
  memberships: MembershipTable;
  priorities: PriorityTable;
  meetings: MeetingTable;
  agenda_items: AgendaItemTable;
  meeting_notes: MeetingNoteTable;
  minutes_addenda: MinutesAddendumTable;
  attendance: AttendanceTable;
  meeting_guests: MeetingGuestTable;
  decisions: DecisionTable;
  decision_reviews: DecisionReviewTable;
  escalations: EscalationTable;
  intelligence_requirements: IntelligenceRequirementTable;
  intelligence_answers: IntelligenceAnswerTable;
  actions: ActionTable;
  action_updates: ActionUpdateTable;
  audit_events: AuditEventTable;
  audit_head: AuditHeadTable;
  import_batches: ImportBatchTable;
  import_rejects: ImportRejectTable;
  incidents: IncidentTable;
  forward_look_items: ForwardLookTable;
  brief_runs: BriefRunTable;
  api_tokens: ApiTokenTable;
  picture_window_counts: PictureWindowCountsTable;
  channel_bindings: ChannelBindingTable;
  posted_messages: PostedMessageTable;
  submissions: SubmissionTable;
  job_runs: JobRunTable;
  deliveries: DeliveryTable;
  reminder_snoozes: ReminderSnoozeTable;
}

export type UnitRow = Selectable<UnitTable>;
export type PersonRow = Selectable<PersonTable>;
export type PriorityRow = Selectable<PriorityTable>;
export type MeetingRow = Selectable<MeetingTable>;
export type AttendanceRow = Selectable<AttendanceTable>;
export type EscalationRow = Selectable<EscalationTable>;
export type IntelligenceRequirementRow = Selectable<IntelligenceRequirementTable>;
export type IntelligenceAnswerRow = Selectable<IntelligenceAnswerTable>;
export type AgendaItemRow = Selectable<AgendaItemTable>;
export type DecisionRow = Selectable<DecisionTable>;
export type NewDecisionRow = Insertable<DecisionTable>;
export type ActionRow = Selectable<ActionTable>;
export type ActionUpdateRow = Selectable<ActionUpdateTable>;
export type AuditEventRow = Selectable<AuditEventTable>;
export type IncidentRow = Selectable<IncidentTable>;
export type ImportBatchRow = Selectable<ImportBatchTable>;
export type ForwardLookRow = Selectable<ForwardLookTable>;
