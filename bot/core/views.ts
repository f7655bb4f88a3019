/**
 * How records look in chat, in one place: the action card (with the moves a viewer may be offered), the
 * meeting card and the decision card, each built from the record as it is now. The router answers with them,
 * and the chat core uses the same action card to bring copies posted elsewhere up to date.
 */
import type { Card } from '../../cards/card.js';
import { payload } from '../../cards/card-actions.js';
import { buildMeetingCard, type IntelligenceSection, type ReadBack } from '../../cards/meeting.card.js';
import { buildActionCard, buildDecisionCard } from '../../cards/records.card.js';
import { TEAMS_MAX_REFRESH_USERS } from '../../cards/render/adaptive-card.js';
import type { PersonActor } from '../../services/access/actor.js';
import { can } from '../../services/access/permissions.js';
import type { Action } from '../../services/actions/action.service.js';
import { type ActionStatus, TERMINAL_STATUSES, TRANSITIONS } from '../../services/actions/transitions.js';
import { type Audience, type BriefView, viewBrief } from '../../services/briefs/brief.model.js';
import { isDomainError } from '../../services/errors.js';
import type { Services } from '../../services/index.js';
import type { Meeting } from '../../services/meetings/meeting.service.js';
import { formatLocal, localDateOf } from '../../services/time.js';
import { type Marking, withinCeiling } from '../../services/validation.js';

/** Who is looking, on which unit, and what the place they look at may show. */
export interface Viewer {
  readonly actor: PersonActor;
  readonly unitId: number;
  readonly audience: Audience;
  readonly ceiling: Marking;
  /**
   * The card goes where others see it (a channel, not the person's own screen): it offers every move the
   * record allows, since whoever presses is checked by the services then.
   */
  readonly shared?: boolean;
  /** Where the viewer is (slack, teams, console): recorded with the consultations their views make. */
  readonly surface?: string;
}

export interface Views {
  /**
   * The action card. For a viewer: the moves they may be offered (every allowed move in a shared place, else
   * their own); for `'shared'` (a copy kept up to date in a channel, no one in particular): every allowed move.
   */
  actionCard(viewer: Viewer | 'shared', action: Action): Promise<Card>;
  meetingCard(viewer: Viewer, meeting: Meeting): Promise<Card>;
  decisionCard(viewer: Viewer, decisionId: number): Promise<Card>;
  /** The day's brief as the viewer's place may show it (audience and ceiling). */
  briefView(viewer: Viewer, date?: string): Promise<BriefView>;
  personName(personId: number | null, post: string | null): Promise<string>;
}

/** The moves a viewer may be offered on an action (the services check whoever presses). */
export function offeredMoves(viewer: Viewer | 'shared', action: Action): readonly ActionStatus[] {
  const all = TRANSITIONS[action.status];
  if (viewer === 'shared') return all;
  if (viewer.shared && can(viewer.actor, 'records.read', action.unitId)) return all;
  const manager = can(viewer.actor, 'action.manage', action.unitId);
  const mine =
    action.ownerPersonId === viewer.actor.personId || action.actionManagerId === viewer.actor.personId;
  if (!manager && !mine) return [];
  if (action.status === 'escalated' && !manager) return [];
  return all;
}

export function createViews(deps: { services: Services }): Views {
  const { services } = deps;

  async function personName(personId: number | null, post: string | null): Promise<string> {
    if (personId) return (await services.people.get(personId)).displayName;
    return post ?? 'unassigned';
  }

  async function briefView(viewer: Viewer, date?: string): Promise<BriefView> {
    const brief = await services.briefs.get(viewer.actor, viewer.unitId, date);
    const view = viewBrief(brief, { audience: viewer.audience, ceiling: viewer.ceiling });
    // DPA 2018 s.62: a brief shown in chat or the console (incident references, records) is a consultation,
    // logged as the CLI logs what it prints.
    await services.audit.record(viewer.actor, {
      operation: 'consultation',
      entityType: 'brief',
      entityId: `${brief.unit.code}:${brief.localDate}`,
      unitId: viewer.unitId,
      after: {
        audience: view.audience,
        marking: view.marking,
        exceptions: view.audience === 'internal' ? view.exceptions.items.map((e) => e.reference) : [],
        withheld: view.audience === 'internal' ? view.withheld.count : null,
      },
      channel: viewer.surface ?? 'chat',
    });
    return view;
  }

  return {
    personName,
    briefView,

    async actionCard(viewer, action) {
      const allowed = offeredMoves(viewer, action);
      const card = buildActionCard({
        action,
        owner: await personName(action.ownerPersonId, action.ownerPost),
        allowed,
        canChangeDue: allowed.length > 0 && !TERMINAL_STATUSES.includes(action.status),
      });
      // A closed action has no moves for anyone: nothing to refresh per person.
      if ((viewer !== 'shared' && !viewer.shared) || TRANSITIONS[action.status].length === 0) return card;
      // In a channel, Teams refreshes the card for each person who may move the action (its owner and manager,
      // the unit's chairs and action managers) into their own copy with the buttons they may use; in a channel of
      // up to 60 people Teams refreshes it for everyone, and anyone else's copy is read-only. The copy all see
      // before a refresh (and clients that cannot refresh) is the channel's card as before.
      const members = await services.people.membersOf(action.unitId);
      const movers = [
        action.ownerPersonId,
        action.actionManagerId,
        ...members
          .filter((m) => m.roles.some((r) => r === 'chair' || r === 'action_manager'))
          .map((m) => m.id),
      ].filter((id): id is number => id !== null);
      const userIds = await services.people.addressesOf(movers, 'teams');
      if (userIds.length === 0) return card;
      if (userIds.length > TEAMS_MAX_REFRESH_USERS)
        return {
          ...card,
          blocks: [
            ...card.blocks,
            {
              type: 'text',
              subtle: true,
              text: `Everyone here sees the same buttons: more than ${TEAMS_MAX_REFRESH_USERS} people may move it, beyond what Teams refreshes per person.`,
            },
          ],
        };
      return {
        ...card,
        refresh: { payload: payload({ verb: 'action.refresh', actionId: action.id }), userIds },
      };
    },

    async meetingCard(viewer, meeting) {
      const unit = await services.units.get(meeting.unitId);
      // No brief to show (a partner before the first import, say) is not an error for the meeting card; a
      // failure of the database is, and goes on to the error card.
      const brief = await briefView(viewer).catch((error: unknown) => {
        if (isDomainError(error)) return null;
        throw error;
      });
      // The current section's notes, those within what this place may show.
      const current = meeting.current;
      const notes =
        current && can(viewer.actor, 'records.read', meeting.unitId)
          ? await Promise.all(
              (await services.meetings.notes(viewer.actor, meeting.id))
                .filter((n) => n.agendaItemId === current.id && withinCeiling(n.marking, viewer.ceiling))
                .map(async (n) => ({
                  author: await personName(n.authorPersonId, null),
                  text: n.text,
                  at: formatLocal(n.createdAt, unit.timeZone).slice(-5),
                })),
            )
          : [];
      // At the read-back, what this meeting recorded, within what this place may show.
      let readBack: ReadBack | undefined;
      if (current?.feed === 'generated' && can(viewer.actor, 'records.read', meeting.unitId)) {
        const [decisions, actions, escalations] = await Promise.all([
          services.decisions.list(viewer.actor, meeting.unitId, { meetingId: meeting.id }),
          services.actions.ofMeeting(viewer.actor, meeting.unitId, meeting.id),
          services.escalations.list(viewer.actor, meeting.unitId, { meetingId: meeting.id }),
        ]);
        const shownEscalations = escalations.filter((e) => withinCeiling(e.marking, viewer.ceiling));
        const shownDecisions = decisions.filter((d) => withinCeiling(d.marking, viewer.ceiling));
        const shownActions = actions.filter((a) => withinCeiling(a.marking, viewer.ceiling));
        readBack = {
          decisions: await Promise.all(
            shownDecisions.map(async (d) => ({
              id: d.id,
              text: d.text,
              by: await personName(d.decisionMakerId, null),
            })),
          ),
          actions: await Promise.all(
            shownActions.map(async (a) => ({
              id: a.id,
              title: a.title,
              owner: await personName(a.ownerPersonId, a.ownerPost),
              dueOn: a.dueOn,
            })),
          ),
          escalations: shownEscalations.reverse().map((e) => ({ id: e.id, what: e.what, tcg: e.tcg })),
          withheld:
            decisions.length -
            shownDecisions.length +
            actions.length -
            shownActions.length +
            escalations.length -
            shownEscalations.length,
        };
      }
      // In the intelligence section, the unit's open requirements and drafts, within what this place may show.
      let intelligence: IntelligenceSection | undefined;
      if (
        current?.sectionKey === 'intelligence_tension' &&
        can(viewer.actor, 'records.read', meeting.unitId)
      ) {
        const today = localDateOf(services.clock.now(), unit.timeZone);
        const [open, drafts] = await Promise.all([
          services.intelligence.list(viewer.actor, meeting.unitId, { activeOn: today }),
          services.intelligence.list(viewer.actor, meeting.unitId, { status: 'draft' }),
        ]);
        const shown = (list: typeof open) =>
          list.filter((r) => withinCeiling(r.marking, viewer.ceiling)).reverse();
        intelligence = {
          open: shown(open).map((r) => ({
            id: r.id,
            question: r.question,
            owner: r.owner,
            expiresOn: r.expiresOn,
            answers: r.answers.filter((a) => withinCeiling(a.marking, viewer.ceiling)).length,
          })),
          drafts: shown(drafts).map((r) => ({ id: r.id, question: r.question })),
          withheld: open.length + drafts.length - shown(open).length - shown(drafts).length,
        };
      }
      return buildMeetingCard({
        meeting,
        unitName: unit.name,
        brief,
        ...(readBack ? { readBack } : {}),
        ...(intelligence ? { intelligence } : {}),
        canRun: can(viewer.actor, 'meeting.run', meeting.unitId),
        canAct: can(viewer.actor, 'action.create', meeting.unitId),
        canNote: can(viewer.actor, 'meeting.note', meeting.unitId),
        notes,
      });
    },

    async decisionCard(viewer, decisionId) {
      const decision = await services.decisions.get(viewer.actor, decisionId);
      const unit = await services.units.get(decision.unitId);
      const [actions, reviews] = await Promise.all([
        services.actions.ofDecision(viewer.actor, decisionId),
        services.decisions.reviews(viewer.actor, decisionId),
      ]);
      const shown = actions.filter((a) => withinCeiling(a.marking, viewer.ceiling));
      return buildDecisionCard({
        decision,
        decisionMaker: await personName(decision.decisionMakerId, null),
        zoneTime: formatLocal(decision.decidedAt, unit.timeZone),
        actions: await Promise.all(
          shown.map(async (a) => ({
            id: a.id,
            title: a.title,
            owner: await personName(a.ownerPersonId, a.ownerPost),
            status: a.status,
          })),
        ),
        withheldActions: actions.length - shown.length,
        reviews: reviews.map((v) => ({
          at: formatLocal(v.reviewedAt, unit.timeZone),
          reviewer: v.reviewer,
          outcome: v.outcome,
          nextReviewOn: v.nextReviewOn,
          note: v.note,
        })),
      });
    },
  };
}
