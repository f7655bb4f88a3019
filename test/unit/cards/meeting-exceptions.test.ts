/**
 * Every exception of a brief is discussed in exactly one section of the meeting (issue 16, item 3: the firearms
 * and hate exceptions of a brief reached no section, and sections 2 and 3 said "Nothing to report").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CardBlock } from '../../../cards/card.js';
import { buildAgendaSectionBlocks } from '../../../cards/meeting.card.js';
import { type BriefIncident, viewBrief } from '../../../services/briefs/brief.model.js';
import { EXCEPTION_QUALIFIERS } from '../../../services/incidents/picture.service.js';
import { DEFAULT_AGENDA } from '../../../services/meetings/default-agenda.js';
import type { AgendaItem } from '../../../services/meetings/meeting.service.js';
import { sampleBrief } from '../../support/cards.js';

const items: AgendaItem[] = DEFAULT_AGENDA.map((s, i) => ({
  id: i + 1,
  position: i + 1,
  sectionKey: s.key,
  title: s.title,
  feed: s.feed,
  status: 'pending',
  startedAt: null,
  endedAt: null,
}));

const cellsOf = (blocks: readonly CardBlock[]) =>
  blocks.flatMap((b) => (b.type === 'table' ? b.rows.flat() : b.type === 'text' ? [b.text] : []));

const reasonCodes = fc
  .subarray(['critical', 'g1', 'thrive_high', ...EXCEPTION_QUALIFIERS], { minLength: 1 })
  .map((codes) => codes);

describe('exceptions in the meeting', () => {
  it('puts every exception of the brief in exactly one section, whatever its reasons', () => {
    fc.assert(
      fc.property(fc.array(reasonCodes, { minLength: 1, maxLength: 12 }), (sets) => {
        const template = sampleBrief.exceptions.items[0] as BriefIncident;
        const exceptions = sets.map((codes, n) => ({
          ...template,
          id: 1000 + n,
          reference: `EX-${n}`,
          reasonCodes: codes,
          reasons: codes,
          marking: 'OFFICIAL' as const,
        }));
        const brief = { ...sampleBrief, exceptions: { count: exceptions.length, items: exceptions } };
        const view = viewBrief(brief, { audience: 'internal', ceiling: 'OFFICIAL' });
        const shown = items.map((item) => cellsOf(buildAgendaSectionBlocks(item, view)));
        for (const e of exceptions) {
          const sections = shown.filter((cells) => cells.includes(e.reference));
          expect(sections, `${e.reference} (${e.reasonCodes.join(', ')})`).toHaveLength(1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
