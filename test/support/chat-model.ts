/**
 * A model-based property test of the chat edge (fast-check commands), the same for Slack, Teams and the
 * console: random sequences of commands and presses, with repeats, concurrent pairs, stale copies of cards,
 * other units' ids, huge ids and OFFICIAL-SENSITIVE records, run over real HTTP against the fakes. A small model
 * says what each step should do; after every step the records must equal the model's, each conversation must
 * have received exactly the messages the model expects (counted at the fakes), no answer may be an internal
 * error or a 5xx, and nothing sent to a conversation may carry the text of a record above its ceiling. After
 * every sequence the audit chain must verify.
 *
 * A driver (test/support/chat-drivers.ts) plays one surface; this file knows nothing of any platform.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { STATUS_LABEL } from '../../cards/records.card.js';
import { createSystemActor } from '../../services/access/actor.js';
import type { ActionStatus } from '../../services/actions/transitions.js';
import type { Services } from '../../services/index.js';
import type { UnitFixture } from './fixtures.js';

type Json = Record<string, unknown>;
export type Who = 'chair' | 'owner' | 'member';
export type Mode = 'once' | 'twice' | 'concurrent';
export type Target =
  | { readonly kind: 'meeting' }
  | { readonly kind: 'minutes' }
  | { readonly kind: 'action'; readonly title: string };

/** A button as a driver found it on a card: its title and the payload it carries. */
export interface Button {
  readonly title: string;
  readonly payload: Json;
  /** The platform's own form of the button, for the driver. */
  readonly raw: unknown;
}

export interface ChatSession {
  /** Types a command (in the run's channel, or the console). */
  type(who: Who, text: string): Promise<void>;
  /** The buttons of a card as its latest copy shows them, or its first copy; undefined when not seen. */
  buttons(target: Target, copy: 'latest' | 'first'): Button[] | undefined;
  /** The text of the latest copy of a card. */
  cardText(target: Target): string | undefined;
  /** Presses a button of a card (on the message the card is in). */
  press(who: Who, target: Target, button: Button, mode: Mode): Promise<void>;
  /**
   * Opens a form (by a typed command, or a button of a card), fills it in and sends it once, twice or twice at
   * once. Resolves false when the form could not be opened (no such button).
   */
  form(
    who: Who,
    open: { readonly command: string } | { readonly target: Target; readonly button: string },
    inputs: Json,
    mode: Mode,
  ): Promise<boolean>;
  /** A hand-made payload pressed in the conversation (a hostile client). */
  craft(who: Who, payload: unknown): Promise<void>;
  /** New messages the run's conversation received. */
  posts(): number;
  /** Direct messages a person received (their own chat with the bot). */
  directs(who: Who): number;
  /** Every body sent into the run's conversation (posts, updates, ephemerals, answers to presses there). */
  conversationBodies(): string[];
  /** Every answer anyone got, anywhere. */
  answers(): string[];
  /** HTTP answers of 500 or more seen. */
  serverErrors(): number;
}

export interface ChatDriver {
  readonly name: string;
  /** Whether there is a shared conversation to count (not the console). */
  readonly hasConversation: boolean;
  /** A typed command's error is posted in the conversation (Teams has no message for one person). */
  readonly typedErrorsPost: boolean;
  /** How a form above the conversation's ceiling reaches the person: a modal, their chat, or on screen. */
  readonly directForms: 'modal' | 'dm' | 'inline';
  /** A session on a fresh unit, its people linked and its conversation bound (OFFICIAL ceiling). */
  open(f: UnitFixture, run: number): Promise<ChatSession>;
}

interface ModelAction {
  readonly title: string;
  status: ActionStatus;
  version: number;
  readonly owner: Who;
  readonly marking: 'OFFICIAL' | 'OFFICIAL-SENSITIVE';
}

export interface Model {
  meeting: { status: 'none' | 'open' | 'closed' | 'approved'; position: number; version: number };
  /** Submission keys that made a change. */
  readonly spent: Set<string>;
  decisions: number;
  readonly actions: ModelAction[];
  posts: number;
  readonly directs: Record<Who, number>;
  /** Texts of OFFICIAL-SENSITIVE records: never in the conversation. */
  readonly secrets: string[];
  /** An OFFICIAL-SENSITIVE record was made while the meeting was open: its minutes carry that marking. */
  sensitiveMinutes: boolean;
  serial: number;
}

export interface Real {
  readonly session: ChatSession;
  readonly driver: ChatDriver;
  readonly services: Services;
  readonly f: UnitFixture;
  /** An action of another unit, for presses with foreign ids. */
  readonly foreignActionId: number;
}

const system = createSystemActor('test:model');
const INTERNAL = /went wrong on our side/;

/** The records, the messages and the conversation, checked against the model after every step. */
async function check(m: Model, r: Real) {
  const { services, f, session, driver } = r;
  const meeting = await services.meetings.findForDate(system, f.unit.id);
  if (m.meeting.status === 'none') expect(meeting).toBeUndefined();
  else
    expect({ status: meeting?.status, position: meeting?.current?.position ?? null }).toEqual({
      status: m.meeting.status,
      position: m.meeting.status === 'open' ? m.meeting.position : null,
    });
  expect(await services.decisions.list(system, f.unit.id)).toHaveLength(m.decisions);
  const actions = await services.actions.list(system, f.unit.id, 'all');
  expect(actions.map((a) => [a.title, a.status]).sort()).toEqual(
    m.actions.map((a) => [a.title, a.status]).sort(),
  );
  if (driver.hasConversation) {
    expect(session.posts(), 'messages posted in the conversation').toBe(m.posts);
    const bodies = session.conversationBodies().join('\n');
    for (const secret of m.secrets)
      expect(bodies.includes(secret), `"${secret}" in the conversation`).toBe(false);
    // Every copy of an action card the conversation shows is the action as it now is.
    for (const a of m.actions.filter((x) => x.marking === 'OFFICIAL'))
      expect(session.cardText({ kind: 'action', title: a.title }) ?? '').toContain(STATUS_LABEL[a.status]);
  }
  for (const who of ['chair', 'owner', 'member'] as const)
    expect(session.directs(who), `direct messages to the ${who}`).toBe(m.directs[who]);
  const internal = session.answers().filter((a) => INTERNAL.test(a));
  expect(internal, 'internal errors').toEqual([]);
  expect(session.serverErrors(), 'HTTP 5xx').toBe(0);
}

type Cmd = fc.AsyncCommand<Model, Real>;

const modes = fc.constantFrom<Mode>('once', 'once', 'twice', 'concurrent');
const markings = fc.constantFrom<'OFFICIAL' | 'OFFICIAL-SENSITIVE'>(
  'OFFICIAL',
  'OFFICIAL',
  'OFFICIAL-SENSITIVE',
);

/** Applies a press of `button` to the meeting in the model: what the services must do. */
function pressMeeting(m: Model, p: Json, hasConversation: boolean) {
  const key = typeof p.k === 'string' ? p.k : undefined;
  if (key && m.spent.has(key)) return;
  if (p.version !== m.meeting.version || m.meeting.status !== 'open') return;
  const at = m.meeting.position;
  if ((p.verb === 'meeting.next' || p.verb === 'meeting.skip') && at < 10) m.meeting.position += 1;
  else if (p.verb === 'meeting.back' && at > 1) m.meeting.position -= 1;
  else if (p.verb === 'meeting.close') {
    m.meeting.status = 'closed';
    m.posts += 1; // the minutes, or where they carry OFFICIAL-SENSITIVE a pointer to them
    if (hasConversation && m.sensitiveMinutes) m.directs.chair += 1; // and the minutes to the chair directly
  } else return;
  m.meeting.version += 1;
  if (key) m.spent.add(key);
}

class StartMeeting implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    await r.session.type('chair', 'meeting start');
    if (m.meeting.status === 'none') {
      m.meeting = { status: 'open', position: 1, version: 2 };
      m.posts += 1;
    } else if (r.driver.typedErrorsPost) m.posts += 1;
    await check(m, r);
  }
  toString = () => 'meeting start';
}

class MeetingButton implements Cmd {
  constructor(
    readonly title: 'Next section' | 'Back' | 'Skip' | 'Close meeting',
    readonly copy: 'latest' | 'first',
    readonly mode: Mode,
  ) {}
  check = (m: Readonly<Model>) => m.meeting.status !== 'none';
  async run(m: Model, r: Real) {
    const button = r.session.buttons({ kind: 'meeting' }, this.copy)?.find((b) => b.title === this.title);
    if (button) {
      await r.session.press('chair', { kind: 'meeting' }, button, this.mode);
      pressMeeting(m, button.payload, r.driver.hasConversation);
    }
    await check(m, r);
  }
  toString = () => `press '${this.title}' on the ${this.copy} meeting card (${this.mode})`;
}

/**
 * The chair (or someone else) presses Approve minutes on the latest or the first copy of the minutes, once,
 * twice or twice at once: closed minutes are approved once; anything else changes nothing. The minutes are
 * answered in place: nothing is posted.
 */
class ApproveMinutes implements Cmd {
  constructor(
    readonly who: Who,
    readonly copy: 'latest' | 'first',
    readonly mode: Mode,
  ) {}
  check = (m: Readonly<Model>) => m.meeting.status === 'closed' || m.meeting.status === 'approved';
  async run(m: Model, r: Real) {
    const button = r.session
      .buttons({ kind: 'minutes' }, this.copy)
      ?.find((b) => b.title === 'Approve minutes');
    if (button) {
      await r.session.press(this.who, { kind: 'minutes' }, button, this.mode);
      const p = button.payload;
      const key = typeof p.k === 'string' ? p.k : undefined;
      const fresh = !(key && m.spent.has(key)) && p.version === m.meeting.version;
      if (fresh && this.who === 'chair' && m.meeting.status === 'closed') {
        m.meeting.status = 'approved';
        m.meeting.version += 1;
        if (key) m.spent.add(key);
      }
    }
    await check(m, r);
    if (m.meeting.status === 'approved') {
      const approvals = (await r.services.audit.list({ entityType: 'meeting' })).filter(
        (e) => e.unitId === r.f.unit.id && (e.after as { status?: string } | null)?.status === 'approved',
      );
      expect(approvals, 'approvals of the minutes').toHaveLength(1);
    }
  }
  toString = () => `the ${this.who} presses 'Approve minutes' on the ${this.copy} minutes (${this.mode})`;
}

class RecordDecision implements Cmd {
  constructor(
    readonly marking: 'OFFICIAL' | 'OFFICIAL-SENSITIVE',
    readonly mode: Mode,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.serial += 1;
    const text =
      this.marking === 'OFFICIAL'
        ? `Decision ${m.serial} on patrols`
        : `SECRET-${m.serial} covert deployment`;
    await r.session.form(
      'chair',
      { command: 'decide' },
      {
        text,
        information: 'Reports from the area',
        threatRisk: 'Moderate',
        powersPolicy: 'Neighbourhood plan',
        optionsConsidered: 'Patrol; nothing',
        chosenOption: 'Patrol',
        marking: this.marking,
      },
      this.mode,
    );
    m.decisions += process.env.MODEL_BUG ? 2 : 1;
    if (this.marking !== 'OFFICIAL' && m.meeting.status === 'open') m.sensitiveMinutes = true;
    if (r.driver.hasConversation) {
      m.posts += 1;
      if (this.marking !== 'OFFICIAL') {
        m.secrets.push(text);
        m.directs.chair += 1;
      }
    }
    await check(m, r);
  }
  toString = () => `record a ${this.marking} decision (${this.mode})`;
}

class CreateAction implements Cmd {
  constructor(
    readonly owner: Who,
    readonly marking: 'OFFICIAL' | 'OFFICIAL-SENSITIVE',
    readonly mode: Mode,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    m.serial += 1;
    const title =
      this.marking === 'OFFICIAL' ? `Action ${m.serial} visit the shop` : `SECRET-${m.serial} watch the flat`;
    const ownerId = r.f[this.owner].personId;
    await r.session.form(
      'member',
      { command: 'action new' },
      {
        title,
        ownerPersonId: String(ownerId),
        dueOn: '2026-05-20',
        category: 'prevention',
        marking: this.marking,
      },
      this.mode,
    );
    m.actions.push({ title, status: 'open', version: 1, owner: this.owner, marking: this.marking });
    if (this.marking !== 'OFFICIAL' && m.meeting.status === 'open') m.sensitiveMinutes = true;
    if (this.owner !== 'member') m.directs[this.owner] += 1;
    if (r.driver.hasConversation) {
      m.posts += 1;
      if (this.marking !== 'OFFICIAL') {
        m.secrets.push(title);
        m.directs.member += 1;
      }
    }
    await check(m, r);
  }
  toString = () => `the member creates a ${this.marking} action for the ${this.owner} (${this.mode})`;
}

/** An action whose card the conversation shows (on the console, every action). */
function shown(m: Readonly<Model>, r: Real, index: number): ModelAction | undefined {
  const visible = m.actions.filter((a) => !r.driver.hasConversation || a.marking === 'OFFICIAL');
  return visible.length === 0 ? undefined : visible[index % visible.length];
}

class StartAction implements Cmd {
  constructor(
    readonly index: number,
    readonly copy: 'latest' | 'first',
    readonly mode: Mode,
  ) {}
  check = (m: Readonly<Model>) => m.actions.length > 0;
  async run(m: Model, r: Real) {
    const a = shown(m, r, this.index);
    const target = a && ({ kind: 'action', title: a.title } as const);
    const button = target && r.session.buttons(target, this.copy)?.find((b) => b.title === 'Start');
    if (a && target && button) {
      await r.session.press(a.owner, target, button, this.mode);
      const key = String(button.payload.k ?? '');
      if (!m.spent.has(key) && button.payload.version === a.version) {
        a.status = 'in_progress';
        a.version += 1;
        m.spent.add(key);
      }
    }
    await check(m, r);
  }
  toString = () => `the owner presses Start on the ${this.copy} card of action ${this.index} (${this.mode})`;
}

class FormOnAction implements Cmd {
  constructor(
    readonly index: number,
    readonly which: 'Done…' | 'Change due date',
    readonly mode: Mode,
  ) {}
  check = (m: Readonly<Model>) => m.actions.length > 0;
  async run(m: Model, r: Real) {
    const a = shown(m, r, this.index);
    if (a) {
      const opened = await r.session.form(
        a.owner,
        { target: { kind: 'action', title: a.title }, button: this.which },
        this.which === 'Done…' ? { result: `Finished (${a.title.slice(0, 12)})` } : { dueOn: '2026-05-25' },
        this.mode,
      );
      if (opened) {
        if (this.which === 'Done…') a.status = 'done';
        a.version += 1;
      }
    }
    await check(m, r);
  }
  toString = () => `the owner sends '${this.which}' on action ${this.index} (${this.mode})`;
}

class Hostile implements Cmd {
  constructor(
    readonly kind: 'foreign' | 'huge' | 'garbage' | 'stale-close',
    readonly junk: unknown,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const meeting = await r.services.meetings.findForDate(system, r.f.unit.id);
    const payloads: Record<Hostile['kind'], unknown> = {
      foreign: {
        v: 1,
        verb: 'action.status',
        actionId: r.foreignActionId,
        version: 1,
        status: 'in_progress',
      },
      huge: { v: 1, verb: 'action.status', actionId: 2_147_483_648, version: 1, status: 'in_progress' },
      // A form without its key, or anything at all.
      garbage:
        typeof this.junk === 'object' ? { v: 1, verb: 'action.create', unitId: r.f.unit.id } : this.junk,
      // The chair's Close of the first card: the meeting is past version 1 once started.
      'stale-close': { v: 1, verb: 'meeting.close', meetingId: meeting?.id ?? 2_147_483_647, version: 1 },
    };
    await r.session.craft(this.kind === 'stale-close' ? 'chair' : 'member', payloads[this.kind]);
    await check(m, r);
  }
  toString = () => `a hostile press (${this.kind})`;
}

/** A crafted form for an OFFICIAL-SENSITIVE action, pressed in the OFFICIAL conversation. */
class SensitiveForm implements Cmd {
  constructor(readonly verb: 'action.due_form' | 'action.status_form') {}
  check = (m: Readonly<Model>) => m.actions.some((a) => a.marking !== 'OFFICIAL');
  async run(m: Model, r: Real) {
    const a = m.actions.find((x) => x.marking !== 'OFFICIAL') as ModelAction;
    const real = (await r.services.actions.list(system, r.f.unit.id, 'all')).find((x) => x.title === a.title);
    await r.session.craft(a.owner, {
      v: 1,
      verb: this.verb,
      actionId: real?.id,
      version: a.version,
      status: 'blocked',
    });
    if (r.driver.directForms === 'dm') m.directs[a.owner] += 1;
    await check(m, r);
  }
  toString = () => `the owner opens ${this.verb} of a sensitive action in the channel`;
}

/** Each kind of step, weighted so that sequences reach the interesting states (a meeting under way, actions). */
const weighted = <T>(arb: fc.Arbitrary<T>, weight: number) => Array.from({ length: weight }, () => arb);

const steps = [
  fc.constant(new StartMeeting()),
  fc
    .tuple(
      fc.constantFrom('Next section', 'Next section', 'Back', 'Skip', 'Close meeting' as const),
      fc.constantFrom<'latest' | 'first'>('latest', 'latest', 'first'),
      modes,
    )
    .map(([t, c, mode]) => new MeetingButton(t as MeetingButton['title'], c, mode)),
  fc.tuple(markings, modes).map(([mk, mode]) => new RecordDecision(mk, mode)),
  fc
    .tuple(fc.constantFrom<Who>('owner', 'owner', 'member'), markings, modes)
    .map(([o, mk, mode]) => new CreateAction(o, mk, mode)),
  fc
    .tuple(fc.nat(5), fc.constantFrom<'latest' | 'first'>('latest', 'first'), modes)
    .map(([i, c, mode]) => new StartAction(i, c, mode)),
  fc
    .tuple(fc.nat(5), fc.constantFrom<'Done…' | 'Change due date'>('Done…', 'Change due date'), modes)
    .map(([i, w, mode]) => new FormOnAction(i, w, mode)),
  fc
    .tuple(
      fc.constantFrom<Hostile['kind']>('foreign', 'huge', 'garbage', 'stale-close'),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([k, j]) => new Hostile(k, j)),
  fc
    .constantFrom('action.due_form', 'action.status_form' as const)
    .map((v) => new SensitiveForm(v as SensitiveForm['verb'])),
  fc
    .tuple(
      fc.constantFrom<Who>('chair', 'chair', 'member'),
      fc.constantFrom<'latest' | 'first'>('latest', 'first'),
      modes,
    )
    .map(([who, c, mode]) => new ApproveMinutes(who, c, mode)),
] as const;

/** After a meeting is started and closed: mostly presses of Approve minutes, among other steps. */
const signOffCommands = [
  ...weighted(steps[8], 6),
  ...weighted(steps[1], 1),
  ...weighted(steps[2], 1),
  ...weighted(steps[6], 1),
] as fc.Arbitrary<Cmd>[];

const commands = [
  ...weighted(steps[0], 2),
  ...weighted(steps[1], 5),
  ...weighted(steps[2], 2),
  ...weighted(steps[3], 3),
  ...weighted(steps[4], 3),
  ...weighted(steps[5], 3),
  ...weighted(steps[6], 2),
  ...weighted(steps[7], 1),
  ...weighted(steps[8], 2),
] as fc.Arbitrary<Cmd>[];

/**
 * Runs the model-based property for a driver: `numRuns` sequences of up to `maxCommands` steps, each on a fresh
 * unit made by `fixture`.
 */
export async function runChatModel(options: {
  readonly driver: ChatDriver;
  readonly services: Services;
  readonly fixture: (run: number) => Promise<UnitFixture>;
  readonly foreignActionId: number;
  readonly numRuns: number;
  readonly maxCommands: number;
  /** Each sequence starts with the meeting started and closed, and presses mostly Approve minutes. */
  readonly signOff?: boolean;
  /** Runs are numbered from here (their channels and platform ids are made from the number). */
  readonly firstRun?: number;
}) {
  const prefix = options.signOff
    ? [new StartMeeting(), new MeetingButton('Close meeting', 'latest', 'once')]
    : [];
  let run = options.firstRun ?? 0;
  await fc.assert(
    fc.asyncProperty(
      fc.commands(options.signOff ? signOffCommands : commands, { maxCommands: options.maxCommands }),
      async (cmds) => {
        run += 1;
        const f = await options.fixture(run);
        const session = await options.driver.open(f, run);
        const real: Real = {
          session,
          driver: options.driver,
          services: options.services,
          f,
          foreignActionId: options.foreignActionId,
        };
        const model: Model = {
          meeting: { status: 'none', position: 0, version: 1 },
          spent: new Set(),
          decisions: 0,
          actions: [],
          posts: 0,
          directs: { chair: 0, owner: 0, member: 0 },
          secrets: [],
          sensitiveMinutes: false,
          serial: 0,
        };
        await fc.asyncModelRun(async () => ({ model, real }), [...prefix, ...cmds]);
        if (process.env.MODEL_STATS)
          console.log(
            `run ${run}: ${[...cmds].map(String).join(' | ')} => posts ${model.posts}, decisions ${model.decisions}, actions ${model.actions.map((a) => a.status).join(',')}, meeting ${JSON.stringify(model.meeting)}`,
          );
        expect((await options.services.audit.verify()).ok, 'the audit chain').toBe(true);
      },
    ),
    { numRuns: options.numRuns, endOnFailure: true },
  );
}
