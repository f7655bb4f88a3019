import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../services/clock.js';
import { BACKENDS } from '../../support/database.js';
import { createUnitFixture, operator } from '../../support/fixtures.js';
import { useServices } from '../../support/suite.js';

describe.each(BACKENDS)('channel bindings on %s', (backend) => {
  const clock = createFixedClock('2026-03-10T09:00:00Z');
  const ctx = useServices(backend, clock);
  const key = (conversationId: string) => ({
    platform: 'teams' as const,
    tenantId: 'tenant-1',
    conversationId,
  });

  it('remembers a conversation and its reference, writing only when the reference changes', async () => {
    const first = await ctx.services.channels.seen(key('19:a'), {
      kind: 'channel',
      reference: { serviceUrl: 'https://a/' },
    });
    expect(first).toMatchObject({ unitId: null, audience: 'internal', ceiling: 'OFFICIAL', kind: 'channel' });
    const again = await ctx.services.channels.seen(key('19:a'), {
      kind: 'channel',
      reference: { serviceUrl: 'https://a/' },
    });
    expect(again).toEqual(first);
    const moved = await ctx.services.channels.seen(key('19:a'), {
      kind: 'channel',
      reference: { serviceUrl: 'https://b/' },
    });
    expect(moved.reference).toEqual({ serviceUrl: 'https://b/' });
    expect(moved.id).toBe(first.id);
    // No reference given: the stored one is kept.
    expect((await ctx.services.channels.seen(key('19:a'), { kind: 'channel' })).reference).toEqual({
      serviceUrl: 'https://b/',
    });
  });

  it('links only for an admin of the unit, audits before and after, and unlinks', async () => {
    const f = await createUnitFixture(ctx.services);
    await expect(
      ctx.services.channels.link(f.chair, key('19:b'), { unitId: f.unit.id }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const linked = await ctx.services.channels.link(f.admin, key('19:b'), {
      unitId: f.unit.id,
      audience: 'partner',
      reference: { serviceUrl: 'https://c/' },
    });
    expect(linked).toMatchObject({
      unitId: f.unit.id,
      audience: 'partner',
      ceiling: 'OFFICIAL',
      linkedBy: f.admin.personId,
    });
    const relinked = await ctx.services.channels.link(f.admin, key('19:b'), {
      unitId: f.unit.id,
      ceiling: 'OFFICIAL-SENSITIVE',
    });
    expect(relinked).toMatchObject({ id: linked.id, audience: 'internal', ceiling: 'OFFICIAL-SENSITIVE' });
    expect(relinked.reference).toEqual({ serviceUrl: 'https://c/' });
    const events = (
      await ctx.services.audit.list({ entityType: 'channel_binding', entityId: String(linked.id) })
    ).map((e) => [
      e.operation,
      (e.before as { ceiling?: string } | null)?.ceiling ?? null,
      (e.after as { ceiling: string }).ceiling,
    ]);
    expect(events).toEqual([
      ['collection', null, 'OFFICIAL'],
      ['alteration', 'OFFICIAL', 'OFFICIAL-SENSITIVE'],
    ]);
    expect((await ctx.services.channels.forUnit(f.unit.id)).map((b) => b.id)).toEqual([linked.id]);
    await expect(ctx.services.channels.unlink(f.member, key('19:b'))).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await ctx.services.channels.unlink(f.admin, key('19:b'))).unitId).toBeNull();
    expect(await ctx.services.channels.forUnit(f.unit.id)).toEqual([]);
  });

  it('refuses bad input naming the field', async () => {
    const f = await createUnitFixture(ctx.services);
    await expect(ctx.services.channels.link(operator, key(''), { unitId: f.unit.id })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('conversationId'),
    });
    await expect(
      ctx.services.channels.link(operator, key('19:c'), { unitId: f.unit.id, audience: 'public' as never }),
    ).rejects.toMatchObject({ message: expect.stringContaining('audience: must be internal or partner') });
  });

  it('finds messages that show a record, and a person’s personal chat', async () => {
    const f = await createUnitFixture(ctx.services);
    const personal = await ctx.services.channels.seen(key('a:owner'), {
      kind: 'personal',
      personId: f.owner.personId,
    });
    expect((await ctx.services.channels.personalChat(f.owner.personId, 'teams'))?.id).toBe(personal.id);
    expect(await ctx.services.channels.personalChat(f.owner.personId, 'slack')).toBeUndefined();
    await ctx.services.channels.recordPost(key('a:owner'), 'm-1', { type: 'action', id: 42 });
    await ctx.services.channels.recordPost(key('a:owner'), 'm-1', { type: 'action', id: 42 });
    const posts = await ctx.services.channels.postsOf({ type: 'action', id: 42 });
    expect(posts.map((p) => [p.messageId, p.binding.id])).toEqual([['m-1', personal.id]]);
  });
});
