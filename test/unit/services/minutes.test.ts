import { describe, expect, it } from 'vitest';
import { minutesMarkdown } from '../../../cards/minutes.card.js';
import {
  escapeMarkdown,
  type MinutesInput,
  type MinutesView,
  minutesMarking,
  readMinutesRecord,
  storeMinutesRecord,
} from '../../../services/meetings/minutes.js';
import { sampleMinutesView } from '../../support/cards.js';

describe('escapeMarkdown', () => {
  it.each([
    ['*bold* and _em_', '\\*bold\\* and \\_em\\_'],
    ['<script>alert(1)</script>', '\\<script\\>alert(1)\\</script\\>'],
    ['[link](http://x)', '\\[link\\](http://x)'],
    ['a | b', 'a \\| b'],
    ['# heading', '\\# heading'],
    ['- not a list', '\\- not a list'],
    ['1. not a list', '1\\. not a list'],
    ['POLSA-led search at 22:00.', 'POLSA-led search at 22:00.'],
  ])('shows %j literally', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it('keeps a multi-line note inside its list item', () => {
    expect(escapeMarkdown('line one\n- line two')).toBe('line one  \n   \\- line two');
  });
});

describe('minutes for the file (Markdown)', () => {
  const base: MinutesInput = {
    unit: { name: 'Unit A', code: 'a', timeZone: 'Europe/London' },
    localDate: '2026-03-29',
    chairName: 'Chair',
    startedAt: new Date('2026-03-29T08:00:00Z'),
    closedAt: new Date('2026-03-29T08:45:00Z'),
    attendees: [],
    agenda: [{ position: 1, title: 'Actions', status: 'done' as const, notes: [] }],
    decisions: [],
    actions: [],
  };
  const view = (record: MinutesInput): MinutesView => ({
    meetingId: 1,
    unitId: 1,
    localDate: record.localDate,
    status: 'closed',
    version: 3,
    record,
    legacyMarkdown: null,
    approval: null,
    addenda: [],
    corrections: [],
    marking: minutesMarking(record, []),
  });

  it('shows local times in the unit zone (BST after the March change)', () => {
    const minutes = minutesMarkdown(view(base));
    expect(minutes).toContain('- **Opened:** Sun 29 Mar 2026 09:00 (Europe/London)');
    expect(minutes).toContain('- **Closed:** Sun 29 Mar 2026 09:45 (Europe/London)');
    expect(minutes).toContain('No decisions recorded.');
    expect(minutes).toContain('No actions raised.');
    expect(minutes).toContain('Closed, not yet approved');
    expect(minutes.startsWith('**OFFICIAL**')).toBe(true);
  });

  it('marks the whole minutes OFFICIAL-SENSITIVE when any item is', () => {
    const minutes = minutesMarkdown(
      view({
        ...base,
        agenda: [
          {
            position: 1,
            title: 'Intel',
            status: 'done',
            notes: [{ text: 'source says', marking: 'OFFICIAL-SENSITIVE' }],
          },
        ],
      }),
    );
    expect(minutes.startsWith('**OFFICIAL-SENSITIVE**')).toBe(true);
    expect(minutes.trimEnd().endsWith('**OFFICIAL-SENSITIVE**')).toBe(true);
    expect(minutes).toContain('source says \\[OFFICIAL-SENSITIVE\\]');
  });

  it('raises the marking for a sensitive addendum, and shows approval, addenda and both checkpoints', () => {
    const approved = sampleMinutesView('approved');
    expect(minutesMarking(approved.record, [{ marking: 'OFFICIAL-SENSITIVE' }])).toBe('OFFICIAL-SENSITIVE');
    const md = minutesMarkdown(approved);
    expect(md).toContain('Approved by Insp Chair, Mon 11 May 2026 10:00.');
    expect(md).toContain('Addendum 1 (Insp Chair, Mon 11 May 2026 11:00, after approval): D-12: the patrol');
    expect(md).toMatch(/Audit checkpoint at close \(event 41;/);
    expect(md).toMatch(/Audit checkpoint at approval \(event 44;/);
    expect(md).toContain('**Apologies:** Analyst (On a course)');
    expect(md).toContain('Reviewed A-7: Patrol plan for Elm Road (PS Member), now Blocked; Open → Blocked');
    expect(md).toContain(
      'D-13 corrects D-12 (Insp Chair, Mon 11 May 2026 12:00, after approval): Deploy a patrol to the retail park from 17:00. Reason: The shops close at 17:00',
    );
    expect(md).not.toContain('Approve minutes');
  });
});

describe('the stored record', () => {
  it('reads back exactly what was stored, dates included', () => {
    const record = sampleMinutesView('closed').record as MinutesInput;
    const back = readMinutesRecord(JSON.parse(storeMinutesRecord(record)));
    expect(back).toEqual(record);
    expect(back.closedAt).toBeInstanceOf(Date);
  });

  it('refuses a stored value that is not a minutes record', () => {
    expect(() => readMinutesRecord({ localDate: '2026-05-11' })).toThrow();
  });
});
