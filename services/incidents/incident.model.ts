/**
 * The canonical incident vocabulary every force's codes are mapped to. A code a profile does not know maps to
 * `unmapped` (and is reported by the import), never to a guess.
 */
import type { Marking } from '../validation.js';

export const UNMAPPED = 'unmapped';

export const GRADES = [
  'G1_EMERGENCY',
  'G2_PRIORITY',
  'G3_SCHEDULED',
  'G4_RESOLVED_WITHOUT_DEPLOYMENT',
] as const;
export type Grade = (typeof GRADES)[number];

/** National Standard for Incident Recording chapters (ASB split three ways; `asb_unspecified` when a source does not say which). */
export const NSIR_CHAPTERS = [
  'crime',
  'asb_personal',
  'asb_nuisance',
  'asb_environmental',
  'asb_unspecified',
  'public_safety_welfare',
  'transport',
  'administration',
] as const;
export type NsirChapter = (typeof NSIR_CHAPTERS)[number];

export const QUALIFIERS = [
  'domestic',
  'mental_health',
  'missing_person',
  'hate',
  'child_protection',
  'alcohol',
  'drugs',
  'weapon',
  'firearm',
  'road_traffic',
  'vulnerable_adult',
] as const;
export type Qualifier = (typeof QUALIFIERS)[number];

export const HOW_REPORTED = [
  '999',
  '101',
  'online',
  'front_counter',
  'police_generated',
  'other_agency',
  'alarm',
  'other',
] as const;
export type HowReported = (typeof HOW_REPORTED)[number];

export const THRIVE_RISKS = ['high', 'medium', 'low'] as const;
export type ThriveRisk = (typeof THRIVE_RISKS)[number];

/** An incident as mapped from one source record (or several merged records), before it is stored. */
export interface MappedIncident {
  readonly source: string;
  readonly reference: string;
  readonly openedAt: Date | null;
  readonly firstDeployedAt: Date | null;
  readonly arrivedAt: Date | null;
  readonly closedAt: Date | null;
  /** For month-only sources (police.uk street crime): the first day of the month, YYYY-MM-01. */
  readonly periodMonth: string | null;
  readonly howReported: HowReported | typeof UNMAPPED | null;
  readonly gradeInitial: Grade | typeof UNMAPPED | null;
  readonly gradeFinal: Grade | typeof UNMAPPED | null;
  readonly forceGradeInitial: string | null;
  readonly forceGradeFinal: string | null;
  readonly openingTypeCode: string | null;
  readonly closingTypeCode: string | null;
  readonly nsirChapter: NsirChapter | typeof UNMAPPED | null;
  readonly qualifiers: readonly Qualifier[];
  readonly area: string | null;
  readonly beat: string | null;
  readonly ward: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly thriveRisk: ThriveRisk | typeof UNMAPPED | null;
  readonly critical: boolean;
  readonly units: readonly string[];
  /** The source record(s) verbatim, exactly as read from the file (several lines when records are merged). */
  /** The protective marking: OFFICIAL-SENSITIVE free text never appears above a target's ceiling. */
  readonly marking: Marking;
  readonly raw: string;
}
