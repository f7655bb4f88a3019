/**
 * An approved intelligence requirement is communicated to the unit's channels: one delivery per internal channel
 * (not personal chats, not partner channels) cleared for its marking, queued in the outbox as one run per
 * requirement, so approving it again (or a retry after a crash) never posts twice.
 */
import { buildRequirementAnnouncementCard } from '../cards/intelligence.card.js';
import type { Services } from '../services/index.js';
import type { IntelligenceRequirement } from '../services/intelligence/requirement.service.js';
import { formatLocal, localDateOf } from '../services/time.js';
import { withinCeiling } from '../services/validation.js';

export const REQUIREMENT_JOB = 'intelligence-requirement';

export interface Announcement {
  /** Channels the requirement was queued for. */
  readonly channels: number;
  /** Internal channels of the unit whose ceiling is below the requirement's marking: left out. */
  readonly notCleared: number;
  /** It had been queued already (nothing new was queued). */
  readonly already: boolean;
}

export async function announceRequirement(
  services: Services,
  requirement: IntelligenceRequirement,
): Promise<Announcement> {
  const unit = await services.units.get(requirement.unitId);
  const channels = (await services.channels.forUnit(unit.id)).filter(
    (b) => b.kind !== 'personal' && b.audience === 'internal',
  );
  const cleared = channels.filter((b) => withinCeiling(requirement.marking, b.ceiling));
  const now = services.clock.now();
  const card = buildRequirementAnnouncementCard(requirement, (at) => formatLocal(at, unit.timeZone));
  const run = await services.deliveries.scheduleRun(
    {
      job: `${REQUIREMENT_JOB}:${requirement.id}`,
      unitId: unit.id,
      localDate: localDateOf(requirement.approvedAt ?? now, unit.timeZone),
      dueAt: now,
      late: false,
      worker: 'announce',
    },
    cleared.map((b) => ({
      bindingId: b.id,
      kind: 'intelligence_requirement',
      payload: card,
      marking: requirement.marking,
    })),
  );
  return { channels: cleared.length, notCleared: channels.length - cleared.length, already: run === null };
}
