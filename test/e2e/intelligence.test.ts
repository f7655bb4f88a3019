/**
 * The intelligence requirements register over Slack and Teams (issue 17, item 5; no register on 54b6730): drafted
 * by a member, approved once by the chair, communicated through the outbox to each internal channel of the unit
 * cleared for its marking (counted at the fakes: once each, never to a partner channel or one below its marking),
 * answered from chat, reviewed in section 7 of the meeting.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../services/clock.js';
import { useApp } from '../support/app.js';
import { linkPerson } from '../support/chat-drivers.js';
import type { FakeConnector } from '../support/fakes/fake-connector.js';
import type { FakeSlack, SlackCall } from '../support/fakes/fake-slack.js';
import { slackSettings, useFakeConnector, useFakeSlack } from '../support/fakes/use-fakes.js';
import { createUnitFixture, operator, type UnitFixture } from '../support/fixtures.js';
import { blocksText, type SlackUser, slackUser } from '../support/slack-client.js';
import { cardOf, type TeamsConversation, type TeamsUser, teamsUser } from '../support/teams-client.js';

const SLACK_CHANNEL = 'C0IR';
const SLACK_PARTNERS = 'C0IRPARTNER';
const TEAMS_CHANNEL: TeamsConversation = { id: '19:ir@thread.tacv2', type: 'channel' };

describe('intelligence requirements in Slack and Teams', () => {
  const clock = createFixedClock('2026-05-11T08:00:00Z');
  const slackFake = useFakeSlack();
  const connectorFake = useFakeConnector();
  const ctx = useApp('pglite', clock, () => ({
    ...slackSettings(slackFake),
    DMM_TEAMS: 'on',
    DMM_JOBS: 'on',
    // The outbox is drained by the test's own ticks.
    DMM_OUTBOX_INTERVAL_MS: '600000',
  }));
  let f: UnitFixture;
  let slack: FakeSlack;
  let connector: FakeConnector;
  let member: SlackUser;
  let chairSlack: SlackUser;
  let chairTeams: TeamsUser;

  const postsTo = (channel: string) =>
    slack.callsOf('chat.postMessage').filter((c: SlackCall) => c.args.channel === channel);
  const teamsPosts = () =>
    [...connector.activities.values()].filter((a) => a.conversationId === TEAMS_CHANNEL.id);
  const announcements = (texts: string[], id: number) =>
    texts.filter((t) => t.includes(`New intelligence requirement IR-${id}`)).length;
  const drain = async () => {
    const scheduler = ctx.app.scheduler;
    if (!scheduler) throw new Error('the scheduler is off');
    await scheduler.tick();
  };

  beforeAll(async () => {
    slack = slackFake.current;
    connector = connectorFake.current;
    f = await createUnitFixture(ctx.services, { code: 'intel' });
    const link = (personId: number, platform: 'slack' | 'teams', externalId: string) =>
      linkPerson(ctx.services, personId, platform, externalId);
    await link(f.admin.personId, 'slack', 'U0ADMIN');
    await link(f.admin.personId, 'teams', 'aad-admin');
    await link(f.member.personId, 'slack', 'U0MEMBER');
    await link(f.chair.personId, 'slack', 'U0CHAIR');
    await link(f.chair.personId, 'teams', 'aad-chair');
    const admin = (channel: string) => slackUser(() => ctx.url, slack, 'U0ADMIN', channel);
    // An OFFICIAL Slack channel, a Slack partner channel, and a Teams channel cleared for OFFICIAL-SENSITIVE.
    await admin(SLACK_CHANNEL).command(`link ${f.unit.code}`);
    await admin(SLACK_PARTNERS).command(`link ${f.unit.code} partner`);
    await teamsUser(() => ctx.url, connector, 'aad-admin').say(
      `link ${f.unit.code} sensitive`,
      TEAMS_CHANNEL,
    );
    member = slackUser(() => ctx.url, slack, 'U0MEMBER', SLACK_CHANNEL);
    chairSlack = slackUser(() => ctx.url, slack, 'U0CHAIR', SLACK_CHANNEL);
    chairTeams = teamsUser(() => ctx.url, connector, 'aad-chair');
  });

  it('a member drafts, the chair approves once, every cleared internal channel is told once, answers are recorded', async () => {
    const drafted = await member.command('ir new Who is supplying the Elm Road address?');
    const draftText = blocksText(drafted);
    expect(draftText).toContain('Who is supplying the Elm Road address?');
    expect(draftText).toContain('Draft: awaiting the chair’s approval');
    const id = Number(/IR-(\d+)/.exec(draftText)?.[1]);
    expect(id).toBeGreaterThan(0);

    // Only the chair approves; the member's attempt changes nothing.
    expect(blocksText(await member.command(`ir ${id} approve`))).toContain('Only the chair');
    expect((await ctx.services.intelligence.get(operator, id)).status).toBe('draft');
    // A draft takes no answers yet.
    expect(blocksText(await member.command(`ir ${id} answer Seen at the address`))).toContain(
      'the chair approves it before it takes answers',
    );

    const slackBefore = postsTo(SLACK_CHANNEL).length;
    const partnersBefore = postsTo(SLACK_PARTNERS).length;
    const teamsBefore = teamsPosts().length;
    const approved = await chairTeams.say(`ir ${id} approve`, TEAMS_CHANNEL);
    const approvedText = JSON.stringify(approved.sent.map(cardOf));
    expect(approvedText).toContain(`IR-${id} approved. Sent to 2 channels of the unit.`);
    // Approving again (the same person, another surface) changes nothing and queues nothing.
    const again = blocksText(await chairSlack.command(`ir ${id} approve`));
    expect(again).toContain('approved already');
    // As the hint says, the requirement is shown as it now is.
    expect(again).toContain(`Intelligence requirement IR-${id}`);
    await drain();
    await drain();
    const slackNew = postsTo(SLACK_CHANNEL)
      .slice(slackBefore)
      .map((c) => blocksText(c));
    const teamsNew = teamsPosts()
      .slice(teamsBefore)
      .map((a) => JSON.stringify(a));
    expect(announcements(slackNew, id)).toBe(1);
    expect(announcements(teamsNew, id)).toBe(1);
    // The tick also sends the morning brief (the partner channel gets its partner brief), but no requirement.
    expect(
      postsTo(SLACK_PARTNERS)
        .slice(partnersBefore)
        .map((c) => blocksText(c))
        .join('\n'),
    ).not.toMatch(/IR-\d|intelligence requirement/i);
    const runs = await ctx.services.deliveries.runs({ job: `intelligence-requirement:${id}` });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.deliveries).toBe(2);

    // A member answers from Slack; the answer is recorded once, audited, and shown.
    const answered = blocksText(await member.command(`ir ${id} answer Seen at 12 Elm Road on Tuesday`));
    expect(answered).toContain('Seen at 12 Elm Road on Tuesday');
    const stored = await ctx.services.intelligence.get(operator, id);
    expect(stored.answers.map((a) => a.answer)).toEqual(['Seen at 12 Elm Road on Tuesday']);
    const audited = await ctx.services.audit.list({ entityType: 'intelligence_answer' });
    expect(audited.filter((e) => (e.after as { requirementId?: number }).requirementId === id)).toHaveLength(
      1,
    );

    // The chair closes it; no more answers.
    expect(blocksText(await chairSlack.command(`ir ${id} close Answered by the Tuesday sighting`))).toContain(
      'Closed by',
    );
    expect(blocksText(await member.command(`ir ${id} answer Another sighting`))).toContain('is closed');
  });

  it('an OFFICIAL-SENSITIVE requirement goes only to the channel cleared for it, and the OFFICIAL channel is not told of it', async () => {
    const r = await ctx.services.intelligence.draft(f.analyst, {
      unitId: f.unit.id,
      question: 'Which vehicle is used for the Operation Nightjar runs?',
      marking: 'OFFICIAL-SENSITIVE',
      expiresOn: '2026-05-25',
    });
    const slackBefore = postsTo(SLACK_CHANNEL).length;
    const teamsBefore = teamsPosts().length;
    const approved = JSON.stringify(
      (await chairTeams.say(`ir ${r.id} approve`, TEAMS_CHANNEL)).sent.map(cardOf),
    );
    expect(approved).toContain(
      'Sent to 1 channel of the unit. 1 not cleared for OFFICIAL-SENSITIVE left out.',
    );
    await drain();
    expect(
      postsTo(SLACK_CHANNEL)
        .slice(slackBefore)
        .map((c) => blocksText(c))
        .join('\n'),
    ).not.toContain('Nightjar');
    expect(
      announcements(
        teamsPosts()
          .slice(teamsBefore)
          .map((a) => JSON.stringify(a)),
        r.id,
      ),
    ).toBe(1);
    // Asked for in the OFFICIAL channel, it is counted, not shown.
    const shown = blocksText(await member.command(`ir ${r.id}`));
    expect(shown).not.toContain('Nightjar');
    expect(shown).toContain("1 more above this place's marking");
  });

  it('section 7 of the meeting reviews the open requirements and the drafts', async () => {
    const draft = await ctx.services.intelligence.draft(f.member, {
      unitId: f.unit.id,
      question: 'Where are the stolen bikes being sold?',
    });
    const meeting = await ctx.services.meetings.start(f.chair, f.unit.id);
    let current = meeting;
    for (let i = 1; i < 7; i += 1) current = await ctx.services.meetings.next(f.chair, meeting.id);
    expect(current.current?.sectionKey).toBe('intelligence_tension');
    const card = JSON.stringify((await chairTeams.say('meeting', TEAMS_CHANNEL)).sent.map(cardOf));
    expect(card).toContain('Intelligence requirements open (1)');
    expect(card).toContain('Which vehicle is used for the Operation Nightjar runs?');
    expect(card).toContain("Drafts awaiting the chair's approval (1)");
    expect(card).toContain(`IR-${draft.id} Where are the stolen bikes being sold?`);
    // The OFFICIAL Slack channel sees the draft but not the sensitive one.
    const inSlack = blocksText(await member.command('meeting'));
    expect(inSlack).toContain('Intelligence requirements open (0)');
    expect(inSlack).not.toContain('Nightjar');
    expect(inSlack).toContain("1 more above this channel's marking");
  });
});
