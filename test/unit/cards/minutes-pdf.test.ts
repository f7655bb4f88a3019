/**
 * Issue 16, item 7: the approved minutes as a PDF for the file, the marking in the header and the footer of every
 * page. Each page is rendered to PNG by Debian's pdftoppm and looked at: ink in the header band, the body and the
 * footer band; and the text of each band read back (pdftotext) is the marking.
 */
import { describe, expect, it } from 'vitest';
import { minutesPdf } from '../../../cards/minutes.card.js';
import type { MinutesInput, MinutesView } from '../../../services/meetings/minutes.js';
import { sampleMinutesView } from '../../support/cards.js';
import { HAVE_POPPLER, renderPdf } from '../../support/pdf.js';

/** Approved minutes long enough for three pages, one note OFFICIAL-SENSITIVE. */
function longMinutes(): MinutesView {
  const view = sampleMinutesView('approved');
  const record = view.record as MinutesInput;
  const action = record.actions[0] as MinutesInput['actions'][number];
  return {
    ...view,
    marking: 'OFFICIAL-SENSITIVE',
    record: {
      ...record,
      agenda: record.agenda.map((a, i) =>
        i === 0
          ? {
              ...a,
              notes: [{ text: 'Source reporting on the Elm Road group', marking: 'OFFICIAL-SENSITIVE' }],
            }
          : a,
      ),
      actions: Array.from({ length: 70 }, (_, i) => ({
        ...action,
        id: 100 + i,
        title: `Visit shop ${i + 1} — café, Łódź St, Ørsted Way`,
      })),
    },
  };
}

describe.skipIf(!HAVE_POPPLER)('minutes as PDF', () => {
  it('puts the marking in the header and the footer of every page, rendered and as text', async () => {
    const doc = renderPdf(await minutesPdf(longMinutes()));
    expect(doc.pageCount).toBeGreaterThanOrEqual(3);
    expect(doc.pages).toHaveLength(doc.pageCount);
    doc.pages.forEach((page, i) => {
      const n = i + 1;
      // Ink where the marking is (top 7 % and bottom 7 % of the page), and in the body between.
      expect(page.inkIn(0, 0.07), `page ${n} header`).toBeGreaterThan(0.001);
      expect(page.inkIn(0.93, 1), `page ${n} footer`).toBeGreaterThan(0.001);
      expect(page.inkIn(0.1, 0.9), `page ${n} body`).toBeGreaterThan(0.005);
      expect(doc.bandText(n, 0, 56), `page ${n} header text`).toBe('OFFICIAL-SENSITIVE');
      const footer = doc.bandText(n, doc.pageHeight - 56, doc.pageHeight);
      expect(footer, `page ${n} footer text`).toMatch(/^OFFICIAL-SENSITIVE\s/);
      expect(footer).toContain(`Page ${n} of ${doc.pageCount}`);
      expect(footer).toContain('Minutes approved by Insp Chair, Mon 11 May 2026 10:00');
    });
  });

  it('holds every part of the minutes, text as typed', async () => {
    const doc = renderPdf(await minutesPdf(longMinutes()));
    const all = Array.from({ length: doc.pageCount }, (_, i) => doc.text(i + 1)).join('\n');
    for (const expected of [
      'DMM minutes: Northtown NPT, 2026-05-11',
      'Present: Insp Chair, PS Member',
      'Apologies: Analyst (On a course)',
      'Absent: PC Absent',
      'Reviewed A-7: Patrol plan for Elm Road',
      'Site manager on leave until Monday',
      'Source reporting on the Elm Road group [OFFICIAL-SENSITIVE]',
      'Tension after the weekend march',
      'D-12: Deploy a patrol to the retail park',
      'Chosen option: Patrol from 16:00',
      'A-169: Visit shop 70 — café, Łódź St, Ørsted Way',
      'Addendum 1 (Insp Chair, Mon 11 May 2026 11:00, after approval)',
      'D-13 corrects D-12',
      'Audit checkpoint at approval (event 44;',
    ])
      expect(all.replace(/\s+/g, ' ')).toContain(expected);
    // A continued table repeats its header row on the next page.
    expect(doc.text(2)).toMatch(/Action\s+Owner\s+Due\s+Category\s+Status/);
  });

  it('says on every page when the minutes are not yet approved', async () => {
    const doc = renderPdf(await minutesPdf(sampleMinutesView('closed')));
    expect(doc.pageCount).toBe(1);
    expect(doc.bandText(1, 0, 56)).toBe('OFFICIAL');
    expect(doc.bandText(1, doc.pageHeight - 56, doc.pageHeight)).toContain(
      'Minutes closed, NOT YET APPROVED',
    );
  });
});
