/**
 * The command grammar, one for every channel (Slack `/dmm …`, a Teams message, the console): text in, one typed
 * `Command` out, or help for the verb the text was nearest to.
 */
import { ACTION_STATUSES, type ActionStatus } from '../../services/actions/transitions.js';
import { isCalendarDate } from '../../services/time.js';

export type ActionsFilter = 'mine' | 'overdue' | 'due_today' | 'open' | 'all' | 'by_owner';

export type Command =
  | { readonly verb: 'help'; readonly topic?: string }
  | { readonly verb: 'whoami' }
  | { readonly verb: 'brief'; readonly date?: string }
  | { readonly verb: 'meeting'; readonly step: 'show' | 'start' | 'next' | 'back' | 'skip' | 'close' }
  | { readonly verb: 'note'; readonly text?: string }
  | { readonly verb: 'attend'; readonly apology?: string }
  | { readonly verb: 'attendance' }
  | {
      readonly verb: 'attendance.set';
      readonly personId: number;
      readonly status: 'present' | 'absent' | 'apologies';
      readonly apology?: string;
    }
  | { readonly verb: 'decide' }
  | { readonly verb: 'escalate' }
  | { readonly verb: 'escalations' }
  | { readonly verb: 'escalation.answer'; readonly escalationId: number; readonly outcome: string }
  | { readonly verb: 'ir.list' }
  | { readonly verb: 'ir.new'; readonly question?: string }
  | { readonly verb: 'ir.show'; readonly requirementId: number }
  | { readonly verb: 'ir.approve'; readonly requirementId: number }
  | { readonly verb: 'ir.answer'; readonly requirementId: number; readonly answer: string }
  | { readonly verb: 'ir.close'; readonly requirementId: number; readonly note?: string }
  | {
      readonly verb: 'results';
      readonly subject: 'priority' | 'action' | 'decision';
      readonly id: number;
      readonly days?: number;
    }
  | { readonly verb: 'tcg-pack'; readonly from?: string; readonly to?: string }
  | { readonly verb: 'decision.show'; readonly decisionId: number }
  | {
      readonly verb: 'decision.review';
      readonly decisionId: number;
      readonly outcome: 'confirmed' | 'closed';
      readonly nextReviewOn?: string;
      readonly note?: string;
    }
  | { readonly verb: 'action.new' }
  | { readonly verb: 'actions'; readonly filter: ActionsFilter }
  | { readonly verb: 'action.show'; readonly actionId: number }
  | {
      readonly verb: 'action.status';
      readonly actionId: number;
      readonly status: ActionStatus;
      readonly note?: string;
    }
  | { readonly verb: 'action.due'; readonly actionId: number; readonly dueOn: string; readonly note?: string }
  | { readonly verb: 'minutes'; readonly date?: string }
  | { readonly verb: 'minutes.approve'; readonly date?: string }
  | { readonly verb: 'minutes.addendum'; readonly date?: string; readonly text?: string }
  | { readonly verb: 'minutes.pdf'; readonly date?: string }
  | { readonly verb: 'incidents'; readonly filter?: string }
  | { readonly verb: 'priorities' }
  | {
      readonly verb: 'priority.set';
      readonly priorityId: number;
      readonly field: 'owner' | 'marking' | 'objective' | 'review';
      /** A person id (owner), a marking, a text or a date; null clears it. */
      readonly value: number | string | null;
    }
  | {
      readonly verb: 'link';
      readonly unitCode: string;
      readonly audience: 'internal' | 'partner';
      readonly ceiling: 'OFFICIAL' | 'OFFICIAL-SENSITIVE';
    }
  | { readonly verb: 'unlink' };

export interface HelpEntry {
  readonly usage: string;
  readonly description: string;
}

/** Every command with what it does: the help text, in the order people need them in a DMM. */
export const HELP: Readonly<Record<string, readonly HelpEntry[]>> = {
  help: [{ usage: 'dmm help', description: 'this list' }],
  whoami: [{ usage: 'dmm whoami', description: 'who the bot thinks you are, and your roles' }],
  brief: [
    { usage: 'dmm brief [YYYY-MM-DD]', description: "today's daily brief (or another day's)" },
    { usage: 'dmm help brief', description: 'how to read the brief: ▲ ▼, risk order, response times' },
  ],
  meeting: [
    { usage: 'dmm meeting', description: "today's meeting and where it is" },
    { usage: 'dmm meeting start', description: "open today's meeting (chair)" },
    { usage: 'dmm meeting next | back | skip', description: 'move through the agenda (chair)' },
    { usage: 'dmm meeting close', description: 'close the meeting and write the minutes (chair)' },
  ],
  note: [
    {
      usage: 'dmm note <text>',
      description:
        "add a note to the meeting's current section (anyone at the meeting); `dmm note` alone opens a form",
    },
  ],
  attendance: [
    { usage: 'dmm here', description: "record that you are at today's meeting" },
    { usage: 'dmm apologies [reason]', description: "send your apologies for today's meeting" },
    { usage: 'dmm attendance', description: 'who is recorded present, with apologies or absent today' },
    {
      usage: 'dmm attendance <person id> present | absent | apologies [reason]',
      description: "correct someone's attendance (chair)",
    },
  ],
  decide: [
    { usage: 'dmm decide', description: 'record a decision with its rationale (chair)' },
    { usage: 'dmm decision 12', description: 'show decision 12 with its actions and reviews' },
    {
      usage: 'dmm decision 12 review confirm [YYYY-MM-DD] [note] | review close [note]',
      description:
        'record the review of a decision due for review: confirmed (next review date) or closed (chair)',
    },
  ],
  escalate: [
    {
      usage: 'dmm escalate',
      description: 'escalate what is beyond the DMM’s resources to the TT&CG (chair): a form',
    },
    { usage: 'dmm escalations', description: 'the escalation register: open and answered' },
    { usage: 'dmm escalation <id> answer <outcome>', description: "record the TT&CG's answer (chair)" },
  ],
  ir: [
    { usage: 'dmm ir', description: 'the intelligence requirements register: drafts, open, answered' },
    {
      usage: 'dmm ir new [question]',
      description: 'draft an intelligence requirement (a form, or the question as typed)',
    },
    { usage: 'dmm ir <id>', description: 'one requirement with its answers' },
    {
      usage: 'dmm ir <id> approve | close [note]',
      description: "approve a draft (it is sent to the unit's channels) or close a requirement (chair)",
    },
    {
      usage: 'dmm ir <id> answer <what you know>',
      description: 'record an answer against an open requirement',
    },
  ],
  'tcg-pack': [
    {
      usage: 'dmm tcg-pack [YYYY-MM-DD] [YYYY-MM-DD]',
      description:
        'the TT&CG pack of a period (default: the 14 days to yesterday): priorities, results, actions, decisions, escalations, intelligence requirements (chair, action manager; logged as a disclosure)',
    },
  ],
  results: [
    {
      usage: 'dmm results priority <id> | action <id> | decision <id> [days]',
      description:
        'matching incidents in equal windows before and after (the priority’s start, the action’s close, the decision), against the spread before',
    },
  ],
  action: [
    { usage: 'dmm action new', description: 'create an action' },
    { usage: 'dmm action 42', description: 'show action 42' },
    {
      usage: 'dmm action 42 start | block | done | nfa | escalate | reopen [note]',
      description: 'change its status; done needs a result, block/escalate/nfa a reason',
    },
    { usage: 'dmm action 42 due YYYY-MM-DD [note]', description: 'change its due date' },
  ],
  actions: [
    {
      usage: 'dmm actions [mine | overdue | today | open | all]',
      description: 'list actions (default: mine)',
    },
  ],
  minutes: [
    { usage: 'dmm minutes [YYYY-MM-DD]', description: 'minutes of a closed meeting (default: the latest)' },
    {
      usage: 'dmm minutes approve [YYYY-MM-DD]',
      description: 'approve the closed minutes (chair); approved minutes never change',
    },
    {
      usage: 'dmm minutes addendum [YYYY-MM-DD] [text]',
      description: 'add a correction or addition to the minutes (chair); without text, a form',
    },
    { usage: 'dmm minutes pdf [YYYY-MM-DD]', description: 'where to get the minutes as a PDF for the file' },
  ],
  incidents: [
    {
      usage: 'dmm incidents [24h] [word]',
      description:
        'incidents of the last 24 hours against the baseline, optionally only rows naming the word',
    },
  ],
  priorities: [
    { usage: 'dmm priorities', description: 'control-strategy priorities against their baseline' },
    {
      usage:
        'dmm priority <id> owner <person id> | marking official|sensitive | objective <text> | review <YYYY-MM-DD>',
      description:
        "set a priority's owner, marking, TT&CG objective or review date (`none` clears; chair, analyst)",
    },
  ],
  link: [
    {
      usage: 'dmm link <unit code> [partner] [sensitive]',
      description:
        'bind this channel to a unit (admin); partner = sanitised brief only, sensitive = may carry OFFICIAL-SENSITIVE',
    },
    { usage: 'dmm unlink', description: 'remove the binding of this channel (admin)' },
  ],
};

export const ALL_HELP: readonly HelpEntry[] = Object.values(HELP).flat();

/** Words people use for each status. */
const STATUS_WORDS: Readonly<Record<string, ActionStatus>> = {
  start: 'in_progress',
  started: 'in_progress',
  progress: 'in_progress',
  block: 'blocked',
  done: 'done',
  complete: 'done',
  nfa: 'no_further_action',
  escalate: 'escalated',
  reopen: 'open',
  ...Object.fromEntries(ACTION_STATUSES.map((s) => [s, s])),
};

const FILTER_WORDS: Readonly<Record<string, ActionsFilter>> = {
  mine: 'mine',
  overdue: 'overdue',
  today: 'due_today',
  due: 'due_today',
  due_today: 'due_today',
  open: 'open',
  all: 'all',
  owner: 'by_owner',
  owners: 'by_owner',
  'by-owner': 'by_owner',
  by_owner: 'by_owner',
};

export type ParseResult =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly message: string; readonly help: readonly HelpEntry[] };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function refuse(message: string, verb?: string): ParseResult {
  return { ok: false, message, help: (verb && HELP[verb]) || ALL_HELP };
}

/** `brief` or `minutes`, alone or with a date. */
function dated(verb: 'brief' | 'minutes', word: string | undefined): ParseResult {
  if (word === undefined) return { ok: true, command: { verb } };
  if (DATE.test(word)) return { ok: true, command: { verb, date: word } };
  return refuse(`'${word}' is not a date: use YYYY-MM-DD, e.g. 2026-11-22.`, verb);
}

/** Parses one command line (`dmm` or `/dmm` in front is optional). */
export function parseCommand(input: string): ParseResult {
  const words = input
    .trim()
    .replace(/^\/?dmm\b/i, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const [first, ...rest] = words;
  const verb = (first ?? 'help').toLowerCase();
  const arg = rest[0]?.toLowerCase();
  switch (verb) {
    case 'help':
      return { ok: true, command: arg ? { verb, topic: arg.slice(0, 40) } : { verb } };
    case 'whoami':
    case 'priorities':
    case 'unlink':
      if (rest.length > 0)
        return refuse(`'${verb}' takes nothing after it.`, verb === 'unlink' ? 'link' : verb);
      return { ok: true, command: { verb } };
    case 'priority': {
      if (rest.length === 0) return { ok: true, command: { verb: 'priorities' } };
      const priorityId = Number(rest[0]?.replace(/^#/, ''));
      if (!Number.isSafeInteger(priorityId) || priorityId <= 0)
        return refuse(`'${rest[0]}' is not a priority number: \`dmm priorities\` lists them.`, 'priorities');
      const field = rest[1]?.toLowerCase();
      const value = input
        .trim()
        .replace(/^\/?dmm\s+/i, '')
        .replace(/^priority\s+\S+\s+\S+/i, '')
        .trim();
      const cleared = value.toLowerCase() === 'none';
      switch (field) {
        case 'owner': {
          const person = Number(value);
          if (!cleared && (!Number.isSafeInteger(person) || person <= 0))
            return refuse(
              'Give the owner as a person id (`dmm attendance` shows them), or `none`.',
              'priorities',
            );
          return {
            ok: true,
            command: { verb: 'priority.set', priorityId, field, value: cleared ? null : person },
          };
        }
        case 'marking': {
          const marking = {
            official: 'OFFICIAL',
            sensitive: 'OFFICIAL-SENSITIVE',
            'official-sensitive': 'OFFICIAL-SENSITIVE',
          }[value.toLowerCase()];
          if (!marking) return refuse('Say `marking official` or `marking sensitive`.', 'priorities');
          return { ok: true, command: { verb: 'priority.set', priorityId, field, value: marking } };
        }
        case 'objective':
          if (!value) return refuse('Give the objective as text after `objective`, or `none`.', 'priorities');
          return {
            ok: true,
            command: { verb: 'priority.set', priorityId, field, value: cleared ? null : value },
          };
        case 'review':
          if (!cleared && !DATE.test(value))
            return refuse('Give the review date as YYYY-MM-DD, or `none`.', 'priorities');
          return {
            ok: true,
            command: { verb: 'priority.set', priorityId, field, value: cleared ? null : value },
          };
        default:
          return refuse('Say what to set: owner, marking, objective or review.', 'priorities');
      }
    }
    case 'incidents': {
      const words = rest[0]?.toLowerCase() === '24h' ? rest.slice(1) : rest;
      const filter = words.join(' ').slice(0, 100);
      return { ok: true, command: { verb, ...(filter ? { filter } : {}) } };
    }
    case 'link': {
      const code = rest[0];
      if (!code) return refuse('Which unit? Give its code, e.g. `dmm link DEMO`.', 'link');
      let audience: 'internal' | 'partner' = 'internal';
      let ceiling: 'OFFICIAL' | 'OFFICIAL-SENSITIVE' = 'OFFICIAL';
      for (const word of rest.slice(1).map((w) => w.toLowerCase())) {
        if (word === 'partner') audience = 'partner';
        else if (word === 'internal') audience = 'internal';
        else if (word === 'sensitive' || word === 'official-sensitive') ceiling = 'OFFICIAL-SENSITIVE';
        else if (word === 'official') ceiling = 'OFFICIAL';
        else
          return refuse(
            `'${word}' is not a link option: use partner, internal, sensitive or official.`,
            'link',
          );
      }
      if (audience === 'partner' && ceiling !== 'OFFICIAL')
        return refuse('A partner channel carries OFFICIAL only: drop `sensitive`.', 'link');
      return { ok: true, command: { verb, unitCode: code, audience, ceiling } };
    }
    case 'minutes': {
      const sub = { approve: 'minutes.approve', addendum: 'minutes.addendum', pdf: 'minutes.pdf' } as const;
      const which = arg !== undefined && Object.hasOwn(sub, arg) ? sub[arg as keyof typeof sub] : undefined;
      if (which === undefined) return dated(verb, rest[0]);
      const date = rest[1] && DATE.test(rest[1]) ? rest[1] : undefined;
      if (which !== 'minutes.addendum') {
        if (rest.length > (date ? 2 : 1))
          return refuse(`'${rest.slice(date ? 2 : 1).join(' ')}' is not a date: use YYYY-MM-DD.`, 'minutes');
        return { ok: true, command: { verb: which, ...(date ? { date } : {}) } };
      }
      // The addendum as typed (case, spacing and line breaks kept), after `minutes addendum` and any date.
      let addendum = input
        .trim()
        .replace(/^\/?dmm\s+/i, '')
        .replace(/^minutes\s+addendum\b/i, '')
        .trim();
      if (date) addendum = addendum.slice(date.length).trim();
      return {
        ok: true,
        command: { verb: which, ...(date ? { date } : {}), ...(addendum ? { text: addendum } : {}) },
      };
    }
    case 'brief':
      return dated(verb, rest[0]);
    case 'meeting': {
      const step = arg ?? 'show';
      if (step === 'agenda') return { ok: true, command: { verb, step: 'show' } };
      if (['show', 'start', 'next', 'back', 'skip', 'close'].includes(step))
        return { ok: true, command: { verb, step: step as 'show' } };
      return refuse(`'meeting ${rest[0]}' is not a meeting command.`, 'meeting');
    }
    case 'note':
    case 'notes': {
      // The text as typed (case, spacing and line breaks kept), not the split words.
      const note = input
        .trim()
        .replace(/^\/?dmm\s+notes?\b/i, '')
        .replace(/^notes?\b/i, '')
        .trim();
      return { ok: true, command: note ? { verb: 'note', text: note } : { verb: 'note' } };
    }
    case 'here':
    case 'present':
      return { ok: true, command: { verb: 'attend' } };
    case 'apologies':
    case 'apology': {
      const reason = input
        .trim()
        .replace(/^\/?dmm\s+/i, '')
        .replace(/^apolog(?:y|ies)\b/i, '')
        .trim();
      return { ok: true, command: { verb: 'attend', apology: reason || 'Apologies sent' } };
    }
    case 'attendance': {
      if (rest.length === 0) return { ok: true, command: { verb: 'attendance' } };
      const personId = Number(rest[0]);
      const status = rest[1]?.toLowerCase();
      if (!Number.isSafeInteger(personId) || personId <= 0)
        return refuse(`'${rest[0]}' is not a person id: \`dmm attendance\` lists them.`, 'attendance');
      if (status !== 'present' && status !== 'absent' && status !== 'apologies')
        return refuse('Say present, absent or apologies after the person id.', 'attendance');
      const apology = rest.slice(2).join(' ');
      return {
        ok: true,
        command: { verb: 'attendance.set', personId, status, ...(apology ? { apology } : {}) },
      };
    }
    case 'decide':
      return { ok: true, command: { verb: 'decide' } };
    case 'escalate':
      return { ok: true, command: { verb: 'escalate' } };
    case 'escalations':
      return { ok: true, command: { verb: 'escalations' } };
    case 'escalation': {
      const escalationId = Number(rest[0]?.replace(/^(#|E-)/i, ''));
      if (!Number.isSafeInteger(escalationId) || escalationId <= 0)
        return rest.length === 0
          ? { ok: true, command: { verb: 'escalations' } }
          : refuse(`'${rest[0]}' is not an escalation number: \`dmm escalations\` lists them.`, 'escalate');
      const outcome = input
        .trim()
        .replace(/^\/?dmm\s+/i, '')
        .replace(/^escalation\s+\S+\s+answer\b/i, '')
        .trim();
      if (rest[1]?.toLowerCase() !== 'answer' || !outcome)
        return refuse("Say `answer` and the TT&CG's outcome after the number.", 'escalate');
      return { ok: true, command: { verb: 'escalation.answer', escalationId, outcome } };
    }
    case 'ir':
    case 'irs':
    case 'intelligence': {
      const first_ = rest[0]?.toLowerCase();
      if (first_ === undefined || first_ === 'list') return { ok: true, command: { verb: 'ir.list' } };
      // The words as typed (case, spacing and line breaks kept) after `ir <word>` or `ir <id> <word>`.
      const after = (words: number) =>
        input
          .trim()
          .replace(/^\/?dmm\s+/i, '')
          .replace(new RegExp(`^\\S+${'\\s+\\S+'.repeat(words)}`), '')
          .trim();
      if (first_ === 'new' || first_ === 'add' || first_ === 'draft') {
        const question = after(1);
        return { ok: true, command: question ? { verb: 'ir.new', question } : { verb: 'ir.new' } };
      }
      const requirementId = Number(rest[0]?.replace(/^(#|IR-?)/i, ''));
      if (!Number.isSafeInteger(requirementId) || requirementId <= 0)
        return refuse(`'${rest[0]}' is not a requirement number: \`dmm ir\` lists them.`, 'ir');
      const sub = rest[1]?.toLowerCase();
      if (sub === undefined) return { ok: true, command: { verb: 'ir.show', requirementId } };
      if (sub === 'approve') return { ok: true, command: { verb: 'ir.approve', requirementId } };
      if (sub === 'close') {
        const note = after(2);
        return { ok: true, command: { verb: 'ir.close', requirementId, ...(note ? { note } : {}) } };
      }
      if (sub === 'answer') {
        const answer = after(2);
        if (!answer) return refuse('Say what you know after `answer`.', 'ir');
        return { ok: true, command: { verb: 'ir.answer', requirementId, answer } };
      }
      return refuse(
        `'${rest[1]}' is not something to do with a requirement: approve, answer or close.`,
        'ir',
      );
    }
    case 'tcg-pack':
    case 'tcg':
    case 'pack': {
      const dates = rest.filter((w) => DATE.test(w));
      if (dates.length !== rest.length || dates.length > 2)
        return refuse('Give up to two dates, from and to: `dmm tcg-pack 2026-05-01 2026-05-14`.', 'tcg-pack');
      const unreal = dates.find((d) => !isCalendarDate(d));
      if (unreal) return refuse(`'${unreal}' is not a date on the calendar: write YYYY-MM-DD.`, 'tcg-pack');
      const [from, to] = dates;
      return { ok: true, command: { verb: 'tcg-pack', ...(from ? { from } : {}), ...(to ? { to } : {}) } };
    }
    case 'results':
    case 'result': {
      const subject = rest[0]?.toLowerCase();
      if (subject !== 'priority' && subject !== 'action' && subject !== 'decision')
        return refuse(
          'Say what to measure: `dmm results priority 3`, `action 42` or `decision 12`.',
          'results',
        );
      const id = Number(rest[1]?.replace(/^(#|P|D-)/i, ''));
      if (!Number.isSafeInteger(id) || id <= 0)
        return refuse(`'${rest[1] ?? ''}' is not a ${subject} number.`, 'results');
      const days = rest[2] === undefined ? undefined : Number(rest[2]);
      if (days !== undefined && (!Number.isSafeInteger(days) || days < 1 || days > 366))
        return refuse(`'${rest[2]}' is not a number of days (1 to 366).`, 'results');
      return { ok: true, command: { verb: 'results', subject, id, ...(days ? { days } : {}) } };
    }
    case 'decision': {
      if (rest.length === 0) return { ok: true, command: { verb: 'decide' } };
      const decisionId = Number(rest[0]?.replace(/^(#|D-)/i, ''));
      if (!Number.isSafeInteger(decisionId) || decisionId <= 0)
        return refuse(`'${rest[0]}' is not a decision number.`, 'decide');
      if (rest.length === 1) return { ok: true, command: { verb: 'decision.show', decisionId } };
      const how = rest[2]?.toLowerCase();
      if (
        rest[1]?.toLowerCase() !== 'review' ||
        (how !== 'confirm' && how !== 'confirmed' && how !== 'close' && how !== 'closed')
      )
        return refuse('Say `review confirm [next date] [note]` or `review close [note]`.', 'decide');
      const outcome = how.startsWith('confirm') ? 'confirmed' : 'closed';
      const next = outcome === 'confirmed' && rest[3] && DATE.test(rest[3]) ? rest[3] : undefined;
      const note = rest.slice(next ? 4 : 3).join(' ');
      return {
        ok: true,
        command: {
          verb: 'decision.review',
          decisionId,
          outcome,
          ...(next ? { nextReviewOn: next } : {}),
          ...(note ? { note } : {}),
        },
      };
    }
    case 'actions': {
      const filter = FILTER_WORDS[arg ?? 'mine'];
      if (filter) return { ok: true, command: { verb, filter } };
      return refuse(
        `'${rest[0]}' is not a list: use mine, overdue, today, open, all or by-owner.`,
        'actions',
      );
    }
    case 'action': {
      if (arg === 'new' || arg === 'create') return { ok: true, command: { verb: 'action.new' } };
      const id = Number(arg?.replace(/^#/, ''));
      if (!arg || !Number.isSafeInteger(id) || id <= 0)
        return refuse(
          arg ? `'${rest[0]}' is not an action number.` : 'Which action? Give its number.',
          'action',
        );
      const what = rest[1]?.toLowerCase();
      if (what === undefined) return { ok: true, command: { verb: 'action.show', actionId: id } };
      const note = rest.slice(2).join(' ') || undefined;
      if (what === 'due') {
        const date = rest[2];
        if (!date || !DATE.test(date)) return refuse('Give the new due date as YYYY-MM-DD.', 'action');
        const dueNote = rest.slice(3).join(' ') || undefined;
        return {
          ok: true,
          command: { verb: 'action.due', actionId: id, dueOn: date, ...(dueNote ? { note: dueNote } : {}) },
        };
      }
      const status = STATUS_WORDS[what];
      if (!status)
        return refuse(
          `'${rest[1]}' is not a status: use start, block, done, nfa, escalate or reopen.`,
          'action',
        );
      return {
        ok: true,
        command: { verb: 'action.status', actionId: id, status, ...(note ? { note } : {}) },
      };
    }
    default: {
      const known = Object.keys(HELP);
      const nearest = known.map((k) => ({ k, d: editDistance(verb, k) })).sort((a, b) => a.d - b.d)[0];
      if (nearest && nearest.d <= 2)
        return refuse(`Unknown command '${first}'. Did you mean '${nearest.k}'?`, nearest.k);
      return refuse(`Unknown command '${first}'. These are the commands:`);
    }
  }
}
