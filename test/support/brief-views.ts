/** What a person can read of a brief view on each surface, and the counts a partner view shows. */
import { buildBriefCard } from '../../cards/daily-brief.card.js';
import { renderAdaptiveCard } from '../../cards/render/adaptive-card.js';
import { renderBlockKitMessages } from '../../cards/render/block-kit.js';
import { renderCardMarkdown, renderCardText } from '../../cards/render/text.js';
import type { BriefView, PartnerBriefView } from '../../services/briefs/brief.model.js';
import { GRADES, NSIR_CHAPTERS, QUALIFIERS } from '../../services/incidents/incident.model.js';

/** Canonical codes (and the import's derived references) that must never be shown as they are. */
export const RAW_CODES: readonly string[] = [
  ...GRADES,
  ...NSIR_CHAPTERS.filter((c) => c.includes('_')),
  ...QUALIFIERS.filter((q) => q.includes('_')),
  'thrive_high',
  'derived:',
];

/** The view rendered for every surface. */
export function renderings(view: BriefView): {
  text: string;
  markdown: string;
  adaptive: string;
  slack: string;
} {
  const card = buildBriefCard(view);
  return {
    text: renderCardText(card),
    markdown: renderCardMarkdown(card),
    adaptive: JSON.stringify(renderAdaptiveCard(card)),
    slack: JSON.stringify(renderBlockKitMessages(card)),
  };
}

/** Every count a partner view carries (null where suppressed). */
export function partnerCounts(view: PartnerBriefView): Array<number | null> {
  return [
    view.incidents.total,
    ...view.incidents.byChapter,
    ...view.incidents.byGrade,
    ...view.incidents.hotspots,
    ...view.themes,
    ...view.priorities,
    ...view.incidents.trend,
  ].map((c) => c.count);
}

/** Shown to a partner: none, suppressed (null), or at least 3. */
export const partnerMayShow = (n: number | null) => n === null || n === 0 || n >= 3;
