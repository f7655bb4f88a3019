import { describe, expect, it } from 'vitest';
import { buildMinutes, escapeMarkdown } from '../../../services/meetings/minutes.js';

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

describe('buildMinutes', () => {
  const base = {
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

  it('shows local times in the unit zone (BST after the March change)', () => {
    const minutes = buildMinutes(base);
    expect(minutes).toContain('- Opened: Sun 29 Mar 2026 09:00 (Europe/London)');
    expect(minutes).toContain('- Closed: Sun 29 Mar 2026 09:45 (Europe/London)');
    expect(minutes).toContain('No decisions recorded.');
    expect(minutes).toContain('No actions raised.');
    expect(minutes.startsWith('**OFFICIAL**')).toBe(true);
  });

  it('marks the whole minutes OFFICIAL-SENSITIVE when any item is', () => {
    const minutes = buildMinutes({
      ...base,
      agenda: [
        {
          position: 1,
          title: 'Intel',
          status: 'done',
          notes: [{ text: 'source says', marking: 'OFFICIAL-SENSITIVE' }],
        },
      ],
    });
    expect(minutes.startsWith('**OFFICIAL-SENSITIVE**')).toBe(true);
    expect(minutes.trimEnd().endsWith('**OFFICIAL-SENSITIVE**')).toBe(true);
    expect(minutes).toContain('source says [OFFICIAL-SENSITIVE]');
  });
});
