/** The default 10-section DMM agenda (policing by exception); a unit may replace it with its own template. */
import { z } from 'zod';

export const AGENDA_FEEDS = [
  'actions',
  'incidents',
  'priorities',
  'forward_look',
  'manual',
  'generated',
] as const;
export type AgendaFeed = (typeof AGENDA_FEEDS)[number];

export interface AgendaSection {
  /** Stable key used by cards and feeds, e.g. `previous_actions`. */
  readonly key: string;
  readonly title: string;
  /** What feeds the section with data. */
  readonly feed: AgendaFeed;
}

export const DEFAULT_AGENDA: readonly AgendaSection[] = Object.freeze([
  { key: 'previous_actions', title: 'Previous actions: overdue, blocked, due today', feed: 'actions' },
  { key: 'critical_incidents', title: 'Critical and major incidents, last 24 h', feed: 'incidents' },
  {
    key: 'threat_vulnerability',
    title: 'Threat to life and vulnerability: high-risk missing, domestic abuse, safeguarding, mental health',
    feed: 'incidents',
  },
  {
    key: 'demand_service',
    title: 'Demand and service: volume vs baseline by grade, open queue, response-target breaches',
    feed: 'incidents',
  },
  {
    key: 'priorities',
    title: 'Control-strategy priorities: 24 h against baseline, hotspots, series',
    feed: 'priorities',
  },
  {
    key: 'offenders',
    title: 'Offenders: wanted / outstanding suspects, priority offenders',
    feed: 'forward_look',
  },
  { key: 'intelligence_tension', title: 'Intelligence and community tension', feed: 'manual' },
  { key: 'next_24h', title: 'Next 24 h: events, operations, warrants, releases', feed: 'forward_look' },
  { key: 'resources', title: 'Resources and resilience', feed: 'manual' },
  {
    key: 'read_back',
    title: 'Read-back of decisions and actions; escalations to TT&CG; close',
    feed: 'generated',
  },
]);

/**
 * Exception reasons that put an incident in the critical-incidents section; every other exception (high THRIVE
 * risk, missing person, domestic abuse, mental health, child protection, hate) is discussed under threat to life
 * and vulnerability, so each exception is in exactly one section.
 */
const CRITICAL_REASONS: readonly string[] = ['critical', 'g1', 'firearm'];

/** The section of the default agenda where the DMM discusses an exception with these reasons. */
export function exceptionSectionKey(
  reasonCodes: readonly string[],
): 'critical_incidents' | 'threat_vulnerability' {
  return reasonCodes.some((c) => CRITICAL_REASONS.includes(c))
    ? 'critical_incidents'
    : 'threat_vulnerability';
}

export const agendaTemplateSchema = z
  .array(
    z.object({
      key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower_snake_case, at most 40 characters'),
      title: z.string().trim().min(1).max(200),
      feed: z.enum(AGENDA_FEEDS),
    }),
  )
  .min(1, 'must have at least one section')
  .max(30, 'must have at most 30 sections')
  .refine((items) => new Set(items.map((i) => i.key)).size === items.length, 'section keys must be unique');
