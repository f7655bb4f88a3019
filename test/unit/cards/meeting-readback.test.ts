/**
 * The read-back section of the meeting card (issue 16, item 5): it lists the decisions and actions the meeting
 * recorded, says when there are none, and counts, without showing, those above the place's marking.
 */
import { describe, expect, it } from 'vitest';
import { buildMeetingCard } from '../../../cards/meeting.card.js';
import { renderCardText } from '../../../cards/render/text.js';
import { sampleMeeting } from '../../support/cards.js';

const READ_BACK_INDEX = 9;

function card(readBack?: Parameters<typeof buildMeetingCard>[0]['readBack']) {
  return renderCardText(
    buildMeetingCard({
      meeting: sampleMeeting('open', READ_BACK_INDEX),
      unitName: 'North',
      brief: null,
      canRun: true,
      canAct: true,
      ...(readBack ? { readBack } : {}),
    }),
  );
}

describe('the read-back section', () => {
  it('lists each decision with its maker and each action with owner and due date', () => {
    const text = card({
      decisions: [{ id: 7, text: 'Patrol Elm Road 16:00-20:00', by: 'Supt A' }],
      actions: [
        { id: 12, title: 'Visit the shop manager', owner: 'PC B', dueOn: '2026-05-12' },
        { id: 13, title: 'Review CCTV', owner: 'unassigned', dueOn: null },
      ],
      withheld: 0,
    });
    expect(text).toContain('Decisions recorded (1)');
    expect(text).toContain('#7 Patrol Elm Road 16:00-20:00 (Supt A)');
    expect(text).toContain('Actions raised (2)');
    expect(text).toContain('#12 Visit the shop manager: PC B, due 2026-05-12');
    expect(text).toContain('#13 Review CCTV: unassigned, due no date');
    expect(text).not.toContain('not shown here');
  });

  it('says when nothing was recorded, and counts what the place may not show', () => {
    const text = card({ decisions: [], actions: [], withheld: 2 });
    expect(text).toContain('No decision recorded in this meeting.');
    expect(text).toContain('No action raised in this meeting.');
    expect(text).toContain("2 more above this channel's marking, not shown here.");
  });

  it('shows no read-back lists in other sections', () => {
    const text = renderCardText(
      buildMeetingCard({
        meeting: sampleMeeting('open', 2),
        unitName: 'North',
        brief: null,
        canRun: true,
        canAct: true,
        readBack: { decisions: [], actions: [], withheld: 0 },
      }),
    );
    expect(text).not.toContain('Decisions recorded');
  });
});
