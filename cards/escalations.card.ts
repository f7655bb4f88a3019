/** The escalation register's cards: the form that raises one, and the register (open and answered). */
import type { Escalation } from '../services/escalations/escalation.service.js';
import { highestMarking } from '../services/validation.js';
import type { Card, CardBlock } from './card.js';
import { payload } from './card-actions.js';
import { MARKING_INPUT } from './records.card.js';

/** The form: what is escalated, why, the resources asked for, to which TT&CG, the action it concerns, marking. */
export function buildEscalationFormCard(input: {
  unitId: number;
  actions: ReadonlyArray<{ id: number; title: string }>;
}): Card {
  return {
    title: 'Escalate to the TT&CG',
    blocks: [
      { type: 'heading', text: 'Escalate to the TT&CG' },
      { type: 'text', text: 'For what is beyond the DMM’s resources. It is minuted under the read-back.' },
    ],
    form: {
      inputs: [
        { kind: 'text', id: 'what', label: 'What is escalated', required: true, maxLength: 500 },
        {
          kind: 'text',
          id: 'why',
          label: 'Why (beyond the DMM’s resources)',
          multiline: true,
          required: true,
          maxLength: 2000,
        },
        { kind: 'text', id: 'resources', label: 'Resources asked for', multiline: true, maxLength: 2000 },
        {
          kind: 'text',
          id: 'tcg',
          label: 'To which TT&CG',
          required: true,
          maxLength: 200,
          placeholder: 'e.g. BCU TT&CG, 10 December',
        },
        ...(input.actions.length > 0
          ? [
              {
                kind: 'choice' as const,
                id: 'actionId',
                label: 'The action it concerns',
                choices: input.actions.map((a) => ({ title: `#${a.id} ${a.title}`, value: String(a.id) })),
              },
            ]
          : []),
        MARKING_INPUT,
      ],
      submit: {
        title: 'Escalate',
        style: 'positive',
        payload: payload({ verb: 'escalation.raise', unitId: input.unitId }),
      },
    },
  };
}

/** The register: each escalation with its reason, resources and TT&CG, and its outcome or "awaiting". */
export function buildEscalationsCard(input: {
  escalations: readonly Escalation[];
  withheld: number;
  zoneTime: (at: Date) => string;
}): Card {
  const blocks: CardBlock[] = [
    { type: 'heading', text: `Escalations to the TT&CG (${input.escalations.length})` },
  ];
  if (input.escalations.length === 0)
    blocks.push({ type: 'text', text: 'None yet: the chair escalates with `dmm escalate`.' });
  for (const e of input.escalations)
    blocks.push(
      { type: 'text', strong: true, text: `E-${e.id}: ${e.what}` },
      {
        type: 'facts',
        facts: [
          { label: 'To', value: e.tcg },
          { label: 'Why', value: e.why },
          ...(e.resources ? [{ label: 'Resources asked for', value: e.resources }] : []),
          ...(e.actionId ? [{ label: 'Action', value: `#${e.actionId}` }] : []),
          { label: 'Raised', value: `${input.zoneTime(e.raisedAt)} by ${e.raisedBy}` },
          {
            label: 'Outcome',
            value: e.outcome
              ? `${e.outcome} (${e.answeredBy}, ${e.answeredAt ? input.zoneTime(e.answeredAt) : ''})`
              : 'awaiting the TT&CG: `dmm escalation <id> answer <outcome>`',
          },
        ],
      },
    );
  if (input.withheld > 0)
    blocks.push({
      type: 'text',
      subtle: true,
      text: `${input.withheld} more above this place's marking, not shown here.`,
    });
  return { title: 'Escalations', marking: highestMarking(input.escalations), blocks };
}
