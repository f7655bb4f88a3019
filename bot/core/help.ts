/** `dmm help [topic]`: every command, one command's entries, or how to read the brief. Works for anyone. */

import type { Card } from '../../cards/card.js';
import { buildBriefHelpCard } from '../../cards/daily-brief.card.js';
import { buildHelpCard } from '../../cards/records.card.js';
import { ALL_HELP, HELP } from './grammar.js';

export function helpCard(topic?: string): Card {
  if (topic === 'brief') return buildBriefHelpCard();
  const entries = topic && Object.hasOwn(HELP, topic) ? HELP[topic] : undefined;
  if (entries) return buildHelpCard({ entries });
  return buildHelpCard({
    entries: ALL_HELP,
    intro: topic
      ? `No help on '${topic}'. Every command:`
      : 'Type a command, or use the buttons on the cards.',
  });
}
