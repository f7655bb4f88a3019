/**
 * Card test support: the official Adaptive Cards parser (its prebuilt bundle: the package's ESM entry does not
 * load in Node), Block Kit limit checks, and one sample of every card the product builds.
 */
import { createRequire } from 'node:module';
import type { Card } from '../../cards/card.js';
import { parseCardPayload } from '../../cards/card-actions.js';
import { buildBriefCard } from '../../cards/daily-brief.card.js';
import { buildEscalationFormCard, buildEscalationsCard } from '../../cards/escalations.card.js';
import {
  buildAnswerFormCard,
  buildRequirementAnnouncementCard,
  buildRequirementFormCard,
  buildRequirementsCard,
} from '../../cards/intelligence.card.js';
import { buildMeetingCard } from '../../cards/meeting.card.js';
import { buildAddendumForm, buildMinutesCard } from '../../cards/minutes.card.js';
import {
  buildActionCard,
  buildActionFormCard,
  buildActionListCard,
  buildActionStatusFormCard,
  buildDecisionCard,
  buildDecisionFormCard,
  buildDueDateFormCard,
  buildErrorCard,
  buildHelpCard,
} from '../../cards/records.card.js';
import type { AdaptiveCardJson } from '../../cards/render/adaptive-card.js';
import * as slack from '../../cards/render/block-kit.js';
import { buildResultsCard } from '../../cards/results.card.js';
import { buildTcgPackCard } from '../../cards/tcg-pack.card.js';
import type { Action } from '../../services/actions/action.service.js';
import { TRANSITIONS } from '../../services/actions/transitions.js';
import { type Brief, viewBrief } from '../../services/briefs/brief.model.js';
import type { Decision } from '../../services/decisions/decision.service.js';
import type { IntelligenceRequirement } from '../../services/intelligence/requirement.service.js';
import { DEFAULT_AGENDA } from '../../services/meetings/default-agenda.js';
import type { Meeting } from '../../services/meetings/meeting.service.js';
import type { MinutesInput, MinutesView } from '../../services/meetings/minutes.js';
import type { Results } from '../../services/results/results.service.js';
import type { TcgPack } from '../../services/tcg/pack.service.js';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: the bundle has no typings of its own at this path.
const AC: any = require('adaptivecards/dist/adaptivecards.js');

/**
 * Teams' chart elements are not in the open-source parser (Teams draws them; see the Teams "charts in Adaptive
 * Cards" page). A vertical bar chart is registered here so that the parser checks its shape — a title, and data
 * of {x: text, y: finite number} — instead of only noting an unknown element; the console registers a renderer
 * for the same element.
 */
class VerticalBarChart extends AC.CardElement {
  getJsonTypeName() {
    return 'Chart.VerticalBar';
  }
  // biome-ignore lint/suspicious/noExplicitAny: the parser's own untyped property bag and context.
  internalParse(source: any, context: any) {
    super.internalParse(source, context);
    const data = source.data;
    const ok =
      typeof source.title === 'string' &&
      Array.isArray(data) &&
      data.every(
        (d: { x?: unknown; y?: unknown }) =>
          typeof d.x === 'string' && typeof d.y === 'number' && Number.isFinite(d.y),
      );
    if (!ok)
      context.logParseEvent(
        this,
        AC.ValidationEvent.InvalidPropertyValue,
        'Chart.VerticalBar: bad title or data',
      );
  }
  internalRender() {
    return undefined;
  }
}
AC.GlobalRegistry.elements.register('Chart.VerticalBar', VerticalBarChart);

/** Every parse event and validation event the official parser reports for a card (empty when it is clean). */
export function adaptiveCardProblems(json: AdaptiveCardJson): string[] {
  const context = new AC.SerializationContext();
  const card = new AC.AdaptiveCard();
  card.parse(json, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i += 1) problems.push(context.getEventAt(i).message);
  for (const e of card.validateProperties().validationEvents) problems.push(e.message);
  return problems;
}

type Json = Record<string, unknown>;

/** Every Block Kit limit we rely on, for a message; returns what is broken. */
export function slackMessageProblems(message: slack.SlackMessage): string[] {
  const problems: string[] = [];
  if (message.blocks.length > slack.SLACK_MAX_MESSAGE_BLOCKS)
    problems.push(`${message.blocks.length} blocks`);
  const ids = new Set<string>();
  for (const block of message.blocks as Json[]) problems.push(...blockProblems(block, ids));
  return problems;
}

export function slackModalProblems(modal: slack.SlackModal): string[] {
  const problems: string[] = [];
  if (modal.blocks.length > slack.SLACK_MAX_MODAL_BLOCKS)
    problems.push(`${modal.blocks.length} modal blocks`);
  if (modal.title.text.length > slack.SLACK_MAX_MODAL_TITLE) problems.push('modal title too long');
  if (modal.submit.text.length > slack.SLACK_MAX_MODAL_TITLE) problems.push('modal submit too long');
  if (modal.private_metadata.length > slack.SLACK_MAX_PRIVATE_METADATA) problems.push('metadata too long');
  // The renderer stores the payload; the Slack adapter wraps it with the channel the modal came from.
  const wrapped = (() => {
    try {
      const value = JSON.parse(modal.private_metadata) as { p?: unknown; c?: unknown };
      return typeof value.c === 'string' ? value.p : undefined;
    } catch {
      return undefined;
    }
  })();
  if (!parseCardPayload(wrapped ?? modal.private_metadata).ok) problems.push('metadata is not a payload');
  const ids = new Set<string>();
  for (const block of modal.blocks as Json[]) problems.push(...blockProblems(block, ids));
  return problems;
}

const length = (text: unknown) => Array.from(String(text ?? '')).length;

function blockProblems(block: Json, ids: Set<string>): string[] {
  const problems: string[] = [];
  const text = block.text as Json | undefined;
  if (block.type === 'section' && text && length(text.text) > slack.SLACK_MAX_SECTION_TEXT)
    problems.push(`section text ${length(text.text)}`);
  if (block.type === 'header' && text && length(text.text) > slack.SLACK_MAX_HEADER_TEXT)
    problems.push('header too long');
  const fields = block.fields as Json[] | undefined;
  if (fields && fields.length > slack.SLACK_MAX_FIELDS) problems.push(`${fields.length} fields`);
  for (const f of fields ?? [])
    if (length(f.text) > slack.SLACK_MAX_FIELD_TEXT) problems.push('field too long');
  for (const e of (block.elements as Json[] | undefined) ?? []) {
    if (e.type !== 'button') continue;
    const id = String(e.action_id);
    if (ids.has(id)) problems.push(`repeated action_id ${id}`);
    ids.add(id);
    if (id.length > slack.SLACK_MAX_ID) problems.push('action_id too long');
    if (length((e.text as Json).text) > slack.SLACK_MAX_BUTTON_TEXT) problems.push('button text too long');
    if (String(e.value).length > slack.SLACK_MAX_BUTTON_VALUE) problems.push('button value too long');
    if (!parseCardPayload(e.value).ok) problems.push(`button value is not a payload: ${String(e.value)}`);
  }
  if (block.type === 'actions' && (block.elements as Json[]).length > slack.SLACK_MAX_ACTION_ELEMENTS)
    problems.push('too many buttons');
  // Text we did not escape must never be mrkdwn: only plain_text may carry user text as typed.
  if (text?.type === 'mrkdwn' && /<[@#!]/.test(String(text.text))) problems.push('unescaped mention');
  return problems;
}

// ---- samples -------------------------------------------------------------------------------------------

const at = new Date('2026-05-11T06:00:00Z');

const trend = (base: number) =>
  Array.from({ length: 29 }, (_, i) => ({
    date: new Date(Date.UTC(2026, 3, 13 + i)).toISOString().slice(0, 10),
    count: i === 3 ? null : base + (i % 5),
  }));

export const sampleBrief: Brief = {
  version: 4,
  unit: { id: 1, code: 'north', name: 'North BCU', timeZone: 'Europe/London' },
  localDate: '2026-05-11',
  window: { start: '2026-05-10T06:00:00.000Z', end: '2026-05-11T06:00:00.000Z', hours: 24 },
  builtAt: '2026-05-11T06:00:01.000Z',
  rule: 'high when x - mean > 2 * max(sd, sqrt(mean)) and x - mean >= 3',
  incidents: {
    total: { key: 'total', count: 312, baselineMean: 280.5, baselineSd: 12.1, flag: 'high' },
    trend: trend(280),
    byGrade: [
      {
        key: 'G1_EMERGENCY',
        label: 'Emergency (G1)',
        partnerLabel: 'Emergency response',
        count: 40,
        baselineMean: 35,
        baselineSd: 4,
        flag: null,
      },
      {
        key: 'G2_PRIORITY',
        label: 'Priority (G2)',
        partnerLabel: 'Priority response',
        count: 120,
        baselineMean: 110,
        baselineSd: 9,
        flag: null,
      },
    ],
    byChapter: [{ key: 'crime', label: 'Crime', count: 200, baselineMean: 190, baselineSd: 10, flag: null }],
    byType: [{ key: 'THEFT', label: 'Theft', count: 60, baselineMean: 50, baselineSd: 5, flag: null }],
    hotspots: [
      { key: 'area:Centre', label: 'Centre', count: 44, baselineMean: 30, baselineSd: 4, flag: 'high' },
    ],
    repeatLocations: [
      {
        place: '10 Example Road',
        day: 3,
        week: 7,
        incidents: [{ reference: 'REF-0004', eventAt: '2026-05-10T19:00:00.000Z' }],
        marking: 'OFFICIAL',
      },
    ],
    emergingSeries: [
      {
        type: 'Burglary dwelling',
        place: 'Beat K2',
        count: 5,
        baselineMean: 0.4,
        incidents: [{ reference: 'REF-0005', eventAt: '2026-05-10T02:00:00.000Z' }],
        marking: 'OFFICIAL',
      },
    ],
    responseTimes: [
      {
        grade: 'G1_EMERGENCY',
        label: 'Emergency (G1)',
        targetMinutes: 15,
        attended: 38,
        medianMinutes: 9,
        p90Minutes: 17,
        breaches: 3,
      },
    ],
    responseBreaches: {
      count: 3,
      items: [
        {
          id: 901,
          reference: 'REF-0003',
          eventAt: '2026-05-10T21:00:00.000Z',
          grade: 'Emergency (G1)',
          type: 'Assault',
          place: 'Centre',
          minutesToArrive: 24,
          targetMinutes: 15,
          marking: 'OFFICIAL',
        },
      ],
    },
  },
  dataQuality: {
    baseline: { windows: 28, used: 27, gaps: ['2026-04-16'], partial: null, beforeData: 0 },
    placeholderTimes: 4,
    placeholderPlaces: 2,
    demo: false,
  },
  exceptions: {
    count: 2,
    items: [
      {
        id: 900,
        reference: 'REF-0001',
        sourceReference: 'REF-0001',
        eventAt: '2026-05-10T20:00:00.000Z',
        grade: 'Emergency (G1)',
        type: 'Assault',
        place: 'Northside',
        reasons: ['Emergency response (G1)', 'Domestic abuse'],
        reasonCodes: ['g1', 'domestic'],
        themes: ['Calls needing an emergency response', 'Domestic abuse'],
        state: 'closed',
        outcome: 'Arrest',
        closedAt: '2026-05-10T22:00:00.000Z',
        marking: 'OFFICIAL',
      },
      {
        id: 902,
        reference: 'REF-0002',
        sourceReference: 'REF-0002',
        eventAt: '2026-05-10T23:00:00.000Z',
        grade: 'Priority (G2)',
        type: 'Missing person',
        place: 'West',
        reasons: ['Assessed high risk', 'Missing person'],
        reasonCodes: ['thrive_high', 'missing_person'],
        themes: ['People assessed as at high risk', 'Missing people'],
        state: 'open',
        outcome: null,
        closedAt: null,
        marking: 'OFFICIAL-SENSITIVE',
      },
    ],
  },
  priorities: [
    {
      title: 'Shoplifting',
      count: 12,
      baselineMean: 9,
      flag: null,
      owner: 'Insp Owner',
      objective: null,
      reviewOn: null,
      trend: trend(9),
      marking: 'OFFICIAL',
    },
    {
      title: 'Operation Nightjar',
      owner: null,
      objective: 'Disrupt county lines supply into the town centre',
      reviewOn: '2026-05-25',
      count: 2,
      baselineMean: 1,
      flag: null,
      trend: trend(1),
      marking: 'OFFICIAL-SENSITIVE',
    },
  ],
  actions: {
    overdue: [
      {
        id: 7,
        title: 'Visit the shop manager',
        owner: 'Action owner',
        dueOn: '2026-05-10',
        status: 'open',
        category: 'reassurance',
        marking: 'OFFICIAL',
      },
    ],
    dueToday: [],
    blocked: [],
    updated: [],
  },
  forwardLook: [
    {
      id: 3,
      kind: 'event',
      title: 'Football match',
      startsAt: '2026-05-11T14:00:00.000Z',
      location: 'Stadium',
      marking: 'OFFICIAL',
    },
  ],
  decisions: [
    {
      id: 11,
      text: 'Patrols at the retail park',
      decisionMaker: 'Chair',
      decidedAt: '2026-05-10T08:10:00.000Z',
      supersededById: null,
      marking: 'OFFICIAL',
    },
  ],
  decisionsDue: [
    { id: 7, text: 'Dispersal order on the Elm Road estate', reviewOn: '2026-05-11', marking: 'OFFICIAL' },
  ],
};

export function sampleAction(overrides: Partial<Action> = {}): Action {
  return {
    id: 42,
    unitId: 1,
    title: 'Retrieve CCTV from the retail park',
    description: 'Cameras at the north entrance.',
    ownerPersonId: 3,
    ownerPost: null,
    actionManagerId: null,
    dueOn: '2026-05-12',
    category: 'intelligence',
    status: 'open',
    result: null,
    meetingId: 1,
    decisionId: null,
    priorityId: null,
    incidentRef: 'REF-0001',
    marking: 'OFFICIAL',
    version: 1,
    createdBy: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

export function sampleMeeting(status: Meeting['status'], currentIndex: number | null): Meeting {
  const agenda = DEFAULT_AGENDA.map((section, i) => ({
    id: i + 1,
    position: i + 1,
    sectionKey: section.key,
    title: section.title,
    feed: section.feed,
    status:
      currentIndex === null
        ? status === 'closed'
          ? ('done' as const)
          : ('pending' as const)
        : i < currentIndex
          ? ('done' as const)
          : i === currentIndex
            ? ('current' as const)
            : ('pending' as const),
    startedAt: null,
    endedAt: null,
  }));
  return {
    id: 1,
    unitId: 1,
    localDate: '2026-05-11',
    status,
    chairPersonId: 1,
    startedAt: at,
    closedAt: status === 'closed' ? at : null,
    approvedAt: null,
    version: 3,
    agenda,
    current: currentIndex === null ? null : (agenda[currentIndex] ?? null),
  };
}

/** Minutes of a short meeting: attendance with an apology, notes, a reviewed action, a decision and an action. */
export function sampleMinutesView(status: 'closed' | 'approved'): MinutesView {
  const at = new Date('2026-05-11T08:30:00Z');
  const checkpoint = {
    seq: 41,
    hash: 'a'.repeat(64),
    at: at.toISOString(),
    keyedFrom: 1,
    keyId: 'k1',
    mac: 'b'.repeat(64),
  };
  const record: MinutesInput = {
    unit: { name: 'Northtown NPT', code: 'NT', timeZone: 'Europe/London' },
    localDate: '2026-05-11',
    chairName: 'Insp Chair',
    startedAt: new Date('2026-05-11T08:00:00Z'),
    closedAt: at,
    attendees: [
      { name: 'Insp Chair', present: true, apology: null },
      { name: 'PS Member', present: true, apology: null, leftAt: new Date('2026-05-11T08:20:00Z') },
      { name: 'Analyst', present: false, apology: 'On a course' },
      { name: 'PC Absent', present: false, apology: null },
      { name: 'Partner Agency Guest', present: true, guest: true },
    ],
    agenda: DEFAULT_AGENDA.slice(0, 3).map((section, i) => ({
      sectionKey: section.key,
      position: i + 1,
      title: section.title,
      status: 'done' as const,
      notes: i === 2 ? [{ text: 'Tension after the weekend march', marking: 'OFFICIAL' as const }] : [],
    })),
    previousActions: [
      {
        id: 7,
        title: 'Patrol plan for Elm Road',
        owner: 'PS Member',
        status: 'blocked',
        marking: 'OFFICIAL',
        changes: [
          {
            at: new Date('2026-05-10T14:00:00Z'),
            from: 'open',
            to: 'blocked',
            by: 'PS Member',
            note: 'Site manager on leave until Monday',
          },
        ],
      },
    ],
    decisions: [
      {
        id: 12,
        text: 'Deploy a patrol to the retail park',
        decisionMaker: 'Insp Chair',
        decidedAt: new Date('2026-05-11T08:20:00Z'),
        marking: 'OFFICIAL',
        information: 'Five shoplifting reports in 24 hours',
        threatRisk: 'Repeat victimisation of two shops',
        powersPolicy: 'Neighbourhood policing plan',
        optionsConsidered: 'Patrol; CCTV review',
        chosenOption: 'Patrol from 16:00',
        reviewPoint: 'Next DMM',
        supersedesId: null,
        correctionReason: null,
        supersededById: null,
      },
    ],
    actions: [
      {
        id: 42,
        title: 'Visit the shop manager',
        owner: 'PS Member',
        dueOn: '2026-05-12',
        category: 'reassurance',
        status: 'open',
        result: null,
        marking: 'OFFICIAL',
      },
    ],
    auditCheckpoint: checkpoint,
  };
  const approvedAt = new Date('2026-05-11T09:00:00Z');
  return {
    meetingId: 1,
    unitId: 1,
    localDate: '2026-05-11',
    status,
    version: status === 'approved' ? 9 : 8,
    record,
    legacyMarkdown: null,
    approval:
      status === 'approved'
        ? {
            at: approvedAt,
            by: 'Insp Chair',
            checkpoint: { ...checkpoint, seq: 44, at: approvedAt.toISOString() },
          }
        : null,
    addenda:
      status === 'approved'
        ? [
            {
              id: 1,
              author: 'Insp Chair',
              at: new Date('2026-05-11T10:00:00Z'),
              text: 'D-12: the patrol starts at 17:00, not 16:00',
              marking: 'OFFICIAL',
              afterApproval: true,
            },
          ]
        : [],
    corrections:
      status === 'approved'
        ? [
            {
              decisionId: 13,
              correctsId: 12,
              text: 'Deploy a patrol to the retail park from 17:00',
              reason: 'The shops close at 17:00',
              by: 'Insp Chair',
              at: new Date('2026-05-11T11:00:00Z'),
              marking: 'OFFICIAL',
            },
          ]
        : [],
    marking: 'OFFICIAL',
  };
}

const sampleDecision: Decision = {
  id: 12,
  unitId: 1,
  meetingId: 1,
  agendaItemId: 2,
  text: 'Deploy a patrol to the retail park from 16:00',
  decisionMakerId: 1,
  decidedAt: at,
  rationale: {
    information: 'Shoplifting series, 12 in a week',
    threatRisk: 'Staff threatened twice',
    powersPolicy: 'Neighbourhood policing plan',
    optionsConsidered: 'Patrol; CCTV review; no action',
    chosenOption: 'Patrol: visible deterrent at the peak time',
    reviewPoint: "Tomorrow's DMM",
  },
  priorityId: null,
  incidentRef: 'REF-0001',
  marking: 'OFFICIAL',
  supersedesId: 9,
  correctionReason: 'Wrong start time',
  supersededById: null,
  reviewOn: '2026-05-14',
};

/** One sample of every card kind, by name (the names key the snapshots). */
export function sampleRequirement(overrides: Partial<IntelligenceRequirement> = {}): IntelligenceRequirement {
  return {
    id: 4,
    unitId: 1,
    question: 'Who is supplying the Elm Road address?',
    priorityId: 2,
    priorityTitle: 'Drug supply',
    ownerPersonId: 5,
    owner: 'DS Analyst',
    expiresOn: '2026-05-25',
    marking: 'OFFICIAL',
    status: 'approved',
    expired: false,
    createdBy: 'PC Member',
    createdAt: new Date('2026-05-11T08:20:00Z'),
    approvedBy: 'Insp Chair',
    approvedAt: new Date('2026-05-11T08:30:00Z'),
    closedBy: null,
    closedAt: null,
    closeNote: null,
    version: 3,
    answers: [
      {
        id: 1,
        requirementId: 4,
        answer: 'Seen at 12 Elm Road on Tuesday',
        marking: 'OFFICIAL',
        by: 'PC Member',
        at: new Date('2026-05-12T09:00:00Z'),
        meetingId: null,
      },
      {
        id: 2,
        requirementId: 4,
        answer: 'Source reporting: a named supplier',
        marking: 'OFFICIAL-SENSITIVE',
        by: 'DS Analyst',
        at: new Date('2026-05-12T10:00:00Z'),
        meetingId: null,
      },
    ],
    ...overrides,
  };
}

const window = (from: string, to: string, count: number, total = count + 5) => ({ from, to, count, total });

export function sampleResults(overrides: Partial<Results> = {}): Results {
  return {
    subject: { kind: 'priority', id: 2, title: 'Catalytic converter theft' },
    priority: { id: 2, title: 'Catalytic converter theft' },
    unitId: 1,
    marking: 'OFFICIAL',
    pivot: '2026-06-02',
    pivotLabel: 'from 2026-06-02',
    days: 14,
    before: window('2026-05-19', '2026-06-01', 12),
    after: { ...window('2026-06-02', '2026-06-15', 3), complete: true },
    baseline: [
      window('2026-05-19', '2026-06-01', 12),
      window('2026-05-05', '2026-05-18', 10),
      window('2026-04-21', '2026-05-04', 11),
      window('2026-04-07', '2026-04-20', 9),
      window('2026-03-24', '2026-04-06', 13),
      window('2026-03-10', '2026-03-23', 0, 0),
    ],
    gaps: 1,
    mean: 11,
    sd: 1.58,
    verdict: 'fell',
    ...overrides,
  };
}

export function samplePack(): TcgPack {
  const closed = sampleAction({ id: 43, status: 'done', result: '120 kits fitted', priorityId: 2 });
  return {
    unit: { id: 1, code: 'north', name: 'North BCU', timeZone: 'Europe/London' },
    from: '2026-06-02',
    to: '2026-06-15',
    days: 14,
    generatedAt: new Date('2026-06-16T06:30:00Z'),
    generatedBy: 'Supt Chair',
    ceiling: 'OFFICIAL',
    marking: 'OFFICIAL',
    priorities: [
      {
        priority: {
          id: 2,
          unitId: 1,
          title: 'Catalytic converter theft',
          description: null,
          ownerPersonId: 4,
          startsOn: '2026-06-02',
          endsOn: null,
          morileScore: 300,
          matchingRules: { typeCodes: ['CATCON'] },
          marking: 'OFFICIAL',
          status: 'active',
          objective: 'Halve catalytic converter thefts by July',
          reviewOn: '2026-06-16',
        },
        owner: 'PS Neighbourhood',
        daily: [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0].map((count, i) => ({
          date: `2026-06-${String(2 + i).padStart(2, '0')}`,
          count,
        })),
        results: sampleResults(),
        resultsNote: null,
        actions: [
          {
            action: closed,
            owner: 'PS Neighbourhood',
            closedOn: '2026-06-09',
            results: sampleResults({
              verdict: 'too_early',
              after: { ...window('2026-06-10', '2026-06-23', 1), complete: false },
            }),
            resultsNote: null,
          },
        ],
        decisions: [{ ...sampleDecision, priorityId: 2 }],
      },
    ],
    decisions: [
      {
        decision: { ...sampleDecision, priorityId: 2, reviewOn: '2026-06-05' },
        decisionMaker: 'Supt Chair',
        reviews: [],
      },
    ],
    escalations: [],
    intelligence: [sampleRequirement({ answers: [] })],
    otherActions: [
      { action: sampleAction(), owner: 'Duty Inspector', closedOn: null, results: null, resultsNote: null },
    ],
    withheld: 1,
  };
}

export function sampleCards(): Record<string, Card> {
  const internal = viewBrief(sampleBrief, { audience: 'internal', ceiling: 'OFFICIAL' });
  const sensitive = viewBrief(sampleBrief, { audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' });
  const partner = viewBrief(sampleBrief, { audience: 'partner', ceiling: 'OFFICIAL' });
  const cards: Record<string, Card> = {
    'brief-internal-official': buildBriefCard(internal),
    'brief-internal-sensitive': buildBriefCard(sensitive),
    'brief-partner': buildBriefCard(partner),
    'meeting-closed': buildMeetingCard({
      meeting: sampleMeeting('closed', null),
      unitName: 'North BCU',
      brief: internal,
      canRun: true,
      canAct: true,
    }),
    'meeting-scheduled-chair': buildMeetingCard({
      meeting: sampleMeeting('scheduled', null),
      unitName: 'North BCU',
      brief: internal,
      canRun: true,
      canAct: true,
    }),
    'meeting-open-member': buildMeetingCard({
      meeting: sampleMeeting('open', 0),
      unitName: 'North BCU',
      brief: internal,
      canRun: false,
      canAct: true,
    }),
    'meeting-open-partner': buildMeetingCard({
      meeting: sampleMeeting('open', 1),
      unitName: 'North BCU',
      brief: partner,
      canRun: false,
      canAct: false,
    }),
    'decision-form': buildDecisionFormCard({ unitId: 1, sectionTitle: 'Critical and major incidents' }),
    decision: buildDecisionCard({
      decision: sampleDecision,
      decisionMaker: 'Chair',
      zoneTime: 'Mon 11 May 2026 07:10',
    }),
    'action-form': buildActionFormCard({
      unitId: 1,
      people: [
        { id: 3, name: 'Action owner' },
        { id: 4, name: 'Analyst' },
      ],
      categories: ['prevention', 'intelligence', 'enforcement', 'reassurance'],
      defaultDue: '2026-05-12',
    }),
    'action-done': buildActionCard({
      action: sampleAction({ status: 'done', result: 'Footage obtained' }),
      owner: 'Action owner',
      allowed: [],
      canChangeDue: false,
    }),
    'action-due-form': buildDueDateFormCard({ action: sampleAction() }),
    'action-list-empty': buildActionListCard({
      title: 'My actions',
      items: [],
      emptyText: 'You have no open actions.',
    }),
    'action-list': buildActionListCard({
      title: 'Overdue actions',
      items: [
        { action: sampleAction(), owner: 'Action owner' },
        {
          action: sampleAction({ id: 43, status: 'blocked', marking: 'OFFICIAL-SENSITIVE' }),
          owner: 'Duty Inspector',
        },
      ],
      withheld: 1,
    }),
    'action-list-by-owner': buildActionListCard({
      title: 'Open actions by owner',
      byOwner: true,
      items: [
        { action: sampleAction(), owner: 'Action owner' },
        { action: sampleAction({ id: 43, status: 'blocked' }), owner: 'Duty Inspector' },
        { action: sampleAction({ id: 44, status: 'in_progress' }), owner: 'Action owner' },
      ],
    }),
    minutes: buildMinutesCard(sampleMinutesView('closed'), { canApprove: true, canAddend: true }),
    'minutes-approved': buildMinutesCard(sampleMinutesView('approved'), { canAddend: true, pdfButton: true }),
    'minutes-legacy': buildMinutesCard({
      ...sampleMinutesView('closed'),
      record: null,
      legacyMarkdown:
        '**OFFICIAL**\n\n# DMM minutes: Unit, 2026-05-11\n\n## Decisions (1)\n\n### D-12: Deploy a patrol\n',
    }),
    'minutes-addendum-form': buildAddendumForm(sampleMinutesView('approved')),
    'escalation-form': buildEscalationFormCard({
      unitId: 1,
      actions: [{ id: 42, title: 'Cover the Elm Road patrols' }],
    }),
    escalations: buildEscalationsCard({
      escalations: [
        {
          id: 3,
          unitId: 1,
          meetingId: 1,
          actionId: 42,
          what: 'No cover for the Elm Road patrols',
          why: 'Owner off sick, no cover on the team',
          resources: 'Two officers for three nights',
          tcg: 'BCU TT&CG, 10 December',
          marking: 'OFFICIAL',
          raisedBy: 'Insp Chair',
          raisedAt: new Date('2026-05-11T08:40:00Z'),
          outcome: 'Two officers loaned from the east sector',
          answeredBy: 'Insp Chair',
          answeredAt: new Date('2026-05-12T10:00:00Z'),
        },
      ],
      withheld: 1,
      zoneTime: (at) => at.toISOString().slice(0, 16).replace('T', ' '),
    }),
    'intelligence-form': buildRequirementFormCard({
      unitId: 1,
      priorities: [{ id: 2, title: 'Drug supply' }],
      members: [{ id: 5, name: 'DS Analyst' }],
    }),
    'intelligence-register': buildRequirementsCard({
      requirements: [
        sampleRequirement({ id: 5, status: 'draft', approvedBy: null, approvedAt: null, answers: [] }),
        sampleRequirement(),
      ],
      withheld: 1,
      ceiling: 'OFFICIAL',
      rights: { approve: true, record: true },
      zoneTime: (at) => at.toISOString().slice(0, 16).replace('T', ' '),
    }),
    'intelligence-answer-form': buildAnswerFormCard(sampleRequirement()),
    'intelligence-announcement': buildRequirementAnnouncementCard(sampleRequirement({ answers: [] }), (at) =>
      at.toISOString().slice(0, 16).replace('T', ' '),
    ),
    results: buildResultsCard(sampleResults()),
    'tcg-pack': buildTcgPackCard(samplePack(), { pdfButton: true }),
    'action-form-with-links': buildActionFormCard({
      unitId: 1,
      people: [{ id: 2, name: 'Action owner' }],
      categories: ['prevention', 'intelligence', 'enforcement', 'reassurance'],
      defaultDue: '2026-05-11',
      decisions: [{ id: 12, text: 'Deploy a patrol to the retail park' }],
      priorities: [{ id: 1, title: 'Residential burglary' }],
    }),
    help: buildHelpCard({
      entries: [
        { usage: 'dmm brief', description: "today's brief" },
        { usage: 'dmm meeting start', description: "start today's meeting (chair)" },
      ],
    }),
    error: buildErrorCard({
      message: 'Only the chair can close the meeting.',
      hint: 'Ask the chair, or type `dmm meeting` to see it.',
      correlationId: 'c0ffee12',
    }),
  };
  for (let i = 0; i < DEFAULT_AGENDA.length; i += 1) {
    cards[`meeting-open-chair-section-${i + 1}`] = buildMeetingCard({
      meeting: sampleMeeting('open', i),
      unitName: 'North BCU',
      brief: sensitive,
      canRun: true,
      canAct: true,
    });
  }
  for (const [from, moves] of Object.entries(TRANSITIONS)) {
    if (moves.length === 0) continue;
    cards[`action-${from}`] = buildActionCard({
      action: sampleAction({ status: from as Action['status'] }),
      owner: 'Action owner',
      allowed: moves,
      canChangeDue: true,
    });
    for (const to of moves) {
      if (to === 'done' || to === 'blocked' || to === 'escalated' || to === 'no_further_action')
        cards[`action-status-form-${to}`] = buildActionStatusFormCard({ action: sampleAction(), status: to });
    }
  }
  return cards;
}
