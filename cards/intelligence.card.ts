/**
 * The intelligence requirements register's cards: the form that drafts one, the register (each requirement with
 * its status and answers, and the buttons the viewer may use), the answer form, and the notice a unit's channels
 * get when the chair approves one.
 */
import type { IntelligenceRequirement } from '../services/intelligence/requirement.service.js';
import { highestMarking, type Marking, withinCeiling } from '../services/validation.js';
import type { Card, CardAction, CardBlock } from './card.js';
import { payload } from './card-actions.js';
import { MARKING_INPUT } from './records.card.js';

/** How a requirement is referred to everywhere: IR-12. */
export const irRef = (id: number) => `IR-${id}`;

/** Its state in words, with who and when. */
export function requirementState(r: IntelligenceRequirement, zoneTime: (at: Date) => string): string {
  if (r.status === 'draft') return 'Draft: awaiting the chair’s approval';
  if (r.status === 'closed')
    return `Closed by ${r.closedBy}${r.closedAt ? `, ${zoneTime(r.closedAt)}` : ''}${r.closeNote ? `: ${r.closeNote}` : ''}`;
  const approved = `Approved by ${r.approvedBy}${r.approvedAt ? `, ${zoneTime(r.approvedAt)}` : ''}`;
  if (r.expired) return `${approved}; expired on ${r.expiresOn}`;
  return r.expiresOn ? `${approved}; open until ${r.expiresOn}` : `${approved}; open`;
}

/** The draft form: the question, the priority it serves, its owner, when it expires, its marking. */
export function buildRequirementFormCard(input: {
  unitId: number;
  priorities: ReadonlyArray<{ id: number; title: string }>;
  members: ReadonlyArray<{ id: number; name: string }>;
}): Card {
  return {
    title: 'New intelligence requirement',
    blocks: [
      { type: 'heading', text: 'New intelligence requirement' },
      {
        type: 'text',
        text: 'A question the DMM needs answered to deliver a priority. The chair approves it; then it is sent to the unit’s channels and takes answers.',
      },
    ],
    form: {
      inputs: [
        {
          kind: 'text',
          id: 'question',
          label: 'The question',
          multiline: true,
          required: true,
          maxLength: 1000,
          placeholder: 'e.g. Who is supplying the Elm Road address?',
        },
        ...(input.priorities.length > 0
          ? [
              {
                kind: 'choice' as const,
                id: 'priorityId',
                label: 'The priority it serves',
                choices: input.priorities.map((p) => ({ title: `P${p.id} ${p.title}`, value: String(p.id) })),
              },
            ]
          : []),
        ...(input.members.length > 0
          ? [
              {
                kind: 'choice' as const,
                id: 'ownerPersonId',
                label: 'Owner',
                choices: input.members.map((m) => ({ title: m.name, value: String(m.id) })),
              },
            ]
          : []),
        { kind: 'date', id: 'expiresOn', label: 'Expires on' },
        MARKING_INPUT,
      ],
      submit: {
        title: 'Draft',
        style: 'positive',
        payload: payload({ verb: 'intelligence.draft', unitId: input.unitId }),
      },
    },
  };
}

/** The answer form of one requirement. */
export function buildAnswerFormCard(r: IntelligenceRequirement): Card {
  return {
    title: `Answer ${irRef(r.id)}`,
    marking: r.marking,
    blocks: [
      { type: 'heading', text: `Answer ${irRef(r.id)}` },
      { type: 'text', text: r.question },
    ],
    form: {
      inputs: [
        { kind: 'text', id: 'answer', label: 'Answer', multiline: true, required: true, maxLength: 4000 },
        { ...MARKING_INPUT, value: r.marking },
      ],
      submit: {
        title: 'Record the answer',
        style: 'positive',
        payload: payload({ verb: 'intelligence.answer', requirementId: r.id }),
      },
    },
  };
}

/** What the viewer may do with a requirement: approve or close it (chair), answer it (anyone of the unit). */
export interface RequirementRights {
  readonly approve: boolean;
  readonly record: boolean;
}

function requirementActions(r: IntelligenceRequirement, rights: RequirementRights): CardAction[] {
  const actions: CardAction[] = [];
  if (r.status === 'draft' && rights.approve)
    actions.push({
      title: 'Approve',
      style: 'positive',
      payload: payload({ verb: 'intelligence.approve', requirementId: r.id }),
    });
  if (r.status === 'approved' && !r.expired && rights.record)
    actions.push({
      title: 'Answer',
      payload: payload({ verb: 'intelligence.answer_form', requirementId: r.id }),
    });
  if (r.status !== 'closed' && rights.approve)
    actions.push({
      title: 'Close',
      payload: payload({ verb: 'intelligence.close', requirementId: r.id }),
    });
  return actions;
}

/**
 * The register, or one requirement: each with the priority it serves, owner, state and the answers this place may
 * show (an answer above the place's ceiling is counted, not shown).
 */
export function buildRequirementsCard(input: {
  requirements: readonly IntelligenceRequirement[];
  /** Requirements above this place's ceiling, left out. */
  withheld: number;
  ceiling: Marking;
  rights: RequirementRights;
  zoneTime: (at: Date) => string;
  /** One requirement's card (its id) rather than the register. */
  single?: number;
}): Card {
  const blocks: CardBlock[] = [
    {
      type: 'heading',
      text:
        input.single !== undefined
          ? `Intelligence requirement ${irRef(input.single)}`
          : `Intelligence requirements (${input.requirements.length})`,
    },
  ];
  if (input.requirements.length === 0 && input.single === undefined)
    blocks.push({ type: 'text', text: 'None yet: draft one with `dmm ir new`.' });
  const shownAnswers = [];
  for (const r of input.requirements) {
    const answers = r.answers.filter((a) => withinCeiling(a.marking, input.ceiling));
    shownAnswers.push(...answers);
    blocks.push(
      { type: 'text', strong: true, text: `${irRef(r.id)}: ${r.question}` },
      {
        type: 'facts',
        facts: [
          ...(r.priorityTitle ? [{ label: 'Priority', value: `P${r.priorityId} ${r.priorityTitle}` }] : []),
          { label: 'Owner', value: r.owner ?? 'not set' },
          { label: 'State', value: requirementState(r, input.zoneTime) },
          {
            label: 'Answers',
            value:
              answers.length === 0
                ? r.answers.length > 0
                  ? `${r.answers.length} above this place's marking`
                  : 'none yet'
                : `${answers.length}${r.answers.length > answers.length ? ` (and ${r.answers.length - answers.length} above this place's marking)` : ''}`,
          },
        ],
      },
    );
    for (const a of answers)
      blocks.push({ type: 'text', subtle: true, text: `${input.zoneTime(a.at)}, ${a.by}: ${a.answer}` });
    const actions = requirementActions(r, input.rights);
    if (actions.length > 0) blocks.push({ type: 'actions', actions });
  }
  if (input.withheld > 0)
    blocks.push({
      type: 'text',
      subtle: true,
      text: `${input.withheld} more above this place's marking, not shown here.`,
    });
  return {
    title:
      input.single !== undefined
        ? `Intelligence requirement ${irRef(input.single)}`
        : 'Intelligence requirements',
    marking: highestMarking([...input.requirements, ...shownAnswers]),
    blocks,
  };
}

/** What a unit's channels get when the chair approves a requirement: the question and how to answer it. */
export function buildRequirementAnnouncementCard(
  r: IntelligenceRequirement,
  zoneTime: (at: Date) => string,
): Card {
  return {
    title: `Intelligence requirement ${irRef(r.id)}`,
    marking: r.marking,
    blocks: [
      { type: 'heading', text: `New intelligence requirement ${irRef(r.id)}` },
      { type: 'text', strong: true, text: r.question },
      {
        type: 'facts',
        facts: [
          ...(r.priorityTitle ? [{ label: 'Priority', value: `P${r.priorityId} ${r.priorityTitle}` }] : []),
          { label: 'Owner', value: r.owner ?? 'not set' },
          { label: 'State', value: requirementState(r, zoneTime) },
        ],
      },
      {
        type: 'text',
        subtle: true,
        text: `Anything that answers it: \`dmm ir ${r.id} answer <what you know>\`, or the button.`,
      },
      {
        type: 'actions',
        actions: [
          { title: 'Answer', payload: payload({ verb: 'intelligence.answer_form', requirementId: r.id }) },
        ],
      },
    ],
  };
}
