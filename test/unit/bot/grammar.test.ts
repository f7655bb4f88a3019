import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../bot/core/grammar.js';

describe('the command grammar', () => {
  it.each([
    ['dmm help', { verb: 'help' }],
    ['/dmm brief 2026-11-22', { verb: 'brief', date: '2026-11-22' }],
    ['meeting', { verb: 'meeting', step: 'show' }],
    ['dmm meeting agenda', { verb: 'meeting', step: 'show' }],
    ['DMM Meeting Next', { verb: 'meeting', step: 'next' }],
    ['dmm decide', { verb: 'decide' }],
    ['dmm incidents', { verb: 'incidents' }],
    ['dmm incidents 24h', { verb: 'incidents' }],
    ['dmm incidents 24h Burglary dwelling', { verb: 'incidents', filter: 'Burglary dwelling' }],
    ['dmm priorities', { verb: 'priorities' }],
    ['dmm priority', { verb: 'priorities' }],
    ['dmm decision', { verb: 'decide' }],
    ['dmm escalate', { verb: 'escalate' }],
    ['dmm escalations', { verb: 'escalations' }],
    [
      'dmm escalation E-4 answer Two officers  loaned',
      { verb: 'escalation.answer', escalationId: 4, outcome: 'Two officers  loaned' },
    ],
    ['dmm tcg-pack', { verb: 'tcg-pack' }],
    ['dmm tcg-pack 2026-05-01 2026-05-14', { verb: 'tcg-pack', from: '2026-05-01', to: '2026-05-14' }],
    ['dmm results priority 3 28', { verb: 'results', subject: 'priority', id: 3, days: 28 }],
    ['dmm results action #42', { verb: 'results', subject: 'action', id: 42 }],
    ['dmm results decision D-12', { verb: 'results', subject: 'decision', id: 12 }],
    ['dmm ir', { verb: 'ir.list' }],
    ['dmm intelligence', { verb: 'ir.list' }],
    ['dmm ir new', { verb: 'ir.new' }],
    ['/dmm ir new  Who supplies  Elm Road?', { verb: 'ir.new', question: 'Who supplies  Elm Road?' }],
    ['dmm ir IR-7', { verb: 'ir.show', requirementId: 7 }],
    ['dmm ir 7 approve', { verb: 'ir.approve', requirementId: 7 }],
    [
      'dmm ir 7 answer Seen at 12  Elm Road',
      { verb: 'ir.answer', requirementId: 7, answer: 'Seen at 12  Elm Road' },
    ],
    ['dmm ir 7 close', { verb: 'ir.close', requirementId: 7 }],
    ['dmm ir 7 close Answered', { verb: 'ir.close', requirementId: 7, note: 'Answered' }],
    ['dmm decision D-12', { verb: 'decision.show', decisionId: 12 }],
    [
      'dmm decision 12 review confirm 2026-05-20 Burglaries down',
      {
        verb: 'decision.review',
        decisionId: 12,
        outcome: 'confirmed',
        nextReviewOn: '2026-05-20',
        note: 'Burglaries down',
      },
    ],
    ['dmm decision 12 review confirm', { verb: 'decision.review', decisionId: 12, outcome: 'confirmed' }],
    [
      'dmm decision #12 review close Order lapsed',
      { verb: 'decision.review', decisionId: 12, outcome: 'closed', note: 'Order lapsed' },
    ],
    ['dmm priority 3 owner 12', { verb: 'priority.set', priorityId: 3, field: 'owner', value: 12 }],
    ['dmm priority #3 owner none', { verb: 'priority.set', priorityId: 3, field: 'owner', value: null }],
    [
      'dmm priority 3 marking sensitive',
      { verb: 'priority.set', priorityId: 3, field: 'marking', value: 'OFFICIAL-SENSITIVE' },
    ],
    [
      'dmm priority 3 objective Reduce  knife-enabled robbery',
      { verb: 'priority.set', priorityId: 3, field: 'objective', value: 'Reduce  knife-enabled robbery' },
    ],
    [
      'dmm priority 3 review 2026-12-14',
      { verb: 'priority.set', priorityId: 3, field: 'review', value: '2026-12-14' },
    ],
    ['dmm minutes approve', { verb: 'minutes.approve' }],
    ['dmm minutes approve 2026-05-11', { verb: 'minutes.approve', date: '2026-05-11' }],
    ['dmm minutes pdf', { verb: 'minutes.pdf' }],
    ['dmm minutes addendum', { verb: 'minutes.addendum' }],
    [
      'dmm minutes addendum 2026-05-11 The march was on  Saturday',
      { verb: 'minutes.addendum', date: '2026-05-11', text: 'The march was on  Saturday' },
    ],
    ['dmm minutes addendum Present also: PCSO', { verb: 'minutes.addendum', text: 'Present also: PCSO' }],
    [
      'dmm link NPT-NORTH',
      { verb: 'link', unitCode: 'NPT-NORTH', audience: 'internal', ceiling: 'OFFICIAL' },
    ],
    [
      'dmm link NPT-NORTH sensitive',
      { verb: 'link', unitCode: 'NPT-NORTH', audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' },
    ],
    [
      'dmm link NPT-NORTH partner',
      { verb: 'link', unitCode: 'NPT-NORTH', audience: 'partner', ceiling: 'OFFICIAL' },
    ],
    ['dmm unlink', { verb: 'unlink' }],
    ['dmm action new', { verb: 'action.new' }],
    ['dmm actions', { verb: 'actions', filter: 'mine' }],
    ['dmm actions today', { verb: 'actions', filter: 'due_today' }],
    ['dmm actions by-owner', { verb: 'actions', filter: 'by_owner' }],
    ['dmm action #42', { verb: 'action.show', actionId: 42 }],
    ['dmm action 42 start', { verb: 'action.status', actionId: 42, status: 'in_progress' }],
    [
      'dmm action 42 done Suspect arrested',
      { verb: 'action.status', actionId: 42, status: 'done', note: 'Suspect arrested' },
    ],
    ['dmm action 42 nfa', { verb: 'action.status', actionId: 42, status: 'no_further_action' }],
    [
      'dmm action 42 due 2026-12-01 waiting for CCTV',
      {
        verb: 'action.due',
        actionId: 42,
        dueOn: '2026-12-01',
        note: 'waiting for CCTV',
      },
    ],
    ['dmm minutes', { verb: 'minutes' }],
    ['', { verb: 'help' }],
  ])('reads "%s"', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['dmm priority x owner 1', /not a priority number/],
    ['dmm decision x', /not a decision number/],
    ['dmm escalation x answer y', /not an escalation number/],
    ['dmm ir x', /not a requirement number/],
    // Found by trying the console: an impossible date answered "Something went wrong on our side".
    ['dmm tcg-pack 2026-13-45', /'2026-13-45' is not a date on the calendar/],
    ['dmm tcg-pack 2026-02-30 2026-03-10', /'2026-02-30' is not a date on the calendar/],
    ['dmm tcg-pack May', /up to two dates/],
    ['dmm results', /Say what to measure/],
    ['dmm results priority 3 0', /not a number of days/],
    ['dmm ir 7 answer', /Say what you know/],
    ['dmm ir 7 shred', /approve, answer or close/],
    ['dmm escalation 4 answer', /answer/],
    ['dmm decision 12 review maybe', /review confirm/],
    ['dmm priority 3 owner someone', /person id/],
    ['dmm priority 3 marking secret', /marking official/],
    ['dmm priority 3 objective', /objective as text/],
    ['dmm priority 3 review soon', /YYYY-MM-DD/],
    ['dmm priority 3 colour red', /owner, marking, objective or review/],
    ['dmm minutes approve tomorrow', /not a date/],
    ['dmm minutes toString', /not a date/],
  ])('refuses %j, saying what it takes', (text, message) => {
    const parsed = parseCommand(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('refuses a link without a unit, with an unknown option, or a sensitive partner channel', () => {
    for (const [input, why] of [
      ['dmm link', /Which unit/],
      ['dmm link NPT loud', /'loud' is not a link option/],
      ['dmm link NPT partner sensitive', /partner channel carries OFFICIAL only/],
      ['dmm unlink now', /takes nothing after it/],
    ] as const) {
      const parsed = parseCommand(input);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.message).toMatch(why);
        expect(parsed.help.some((h) => h.usage.startsWith('dmm link'))).toBe(true);
      }
    }
  });

  it('reads a note as typed (case, spacing, line breaks), and `dmm note` alone as the form (issue 16)', () => {
    expect(parseCommand('/dmm note Two *arrests*  planned\nfor Friday')).toEqual({
      ok: true,
      command: { verb: 'note', text: 'Two *arrests*  planned\nfor Friday' },
    });
    expect(parseCommand('NOTE Mutual aid asked')).toEqual({
      ok: true,
      command: { verb: 'note', text: 'Mutual aid asked' },
    });
    expect(parseCommand('dmm note')).toEqual({ ok: true, command: { verb: 'note' } });
    expect(parseCommand('dmm notes   ')).toEqual({ ok: true, command: { verb: 'note' } });
  });

  it("reads attendance: here, apologies with their reason as typed, the chair's correction (issue 16)", () => {
    expect(parseCommand('dmm here')).toEqual({ ok: true, command: { verb: 'attend' } });
    expect(parseCommand('dmm apologies On a course, back Friday')).toEqual({
      ok: true,
      command: { verb: 'attend', apology: 'On a course, back Friday' },
    });
    expect(parseCommand('dmm apologies')).toEqual({
      ok: true,
      command: { verb: 'attend', apology: 'Apologies sent' },
    });
    expect(parseCommand('dmm attendance')).toEqual({ ok: true, command: { verb: 'attendance' } });
    expect(parseCommand('dmm attendance 12 apologies Leave')).toEqual({
      ok: true,
      command: { verb: 'attendance.set', personId: 12, status: 'apologies', apology: 'Leave' },
    });
    expect(parseCommand('dmm attendance 12 absent')).toEqual({
      ok: true,
      command: { verb: 'attendance.set', personId: 12, status: 'absent' },
    });
    expect(parseCommand('dmm attendance smith present').ok).toBe(false);
    expect(parseCommand('dmm attendance 12 maybe').ok).toBe(false);
  });

  it('answers a misspelt verb with the nearest one and its help', () => {
    const result = parseCommand('dmm meetnig start');
    expect(result).toMatchObject({
      ok: false,
      message: "Unknown command 'meetnig'. Did you mean 'meeting'?",
    });
    if (!result.ok) expect(result.help.map((h) => h.usage)).toContain('dmm meeting start');
  });

  it('says what is wrong with a bad argument, naming what is allowed', () => {
    expect(parseCommand('dmm brief yesterday')).toMatchObject({
      ok: false,
      message: /not a date: use YYYY-MM-DD/,
    });
    expect(parseCommand('dmm action forty-two')).toMatchObject({
      ok: false,
      message: /not an action number/,
    });
    expect(parseCommand('dmm action 42 finish')).toMatchObject({
      ok: false,
      message: /use start, block, done/,
    });
    expect(parseCommand('dmm action 42 due soon')).toMatchObject({ ok: false, message: /YYYY-MM-DD/ });
    expect(parseCommand('dmm actions everything')).toMatchObject({ ok: false, message: /by-owner/ });
  });

  it('never throws and always gives a command or help, whatever is typed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const result = parseCommand(text);
        if (!result.ok) expect(result.help.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
