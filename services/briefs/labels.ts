/**
 * The words a brief uses for the canonical codes: "Emergency (G1)" for `G1_EMERGENCY`, "Public safety and
 * welfare" for `public_safety_welfare`. A force renames any of them in `labels.json` beside its own mapping
 * profiles (`DMM_PROFILES_DIR`), and may name its own opening-type codes there too; a code nobody labelled is
 * shown in words made from the code (`SUSPICIOUS_PERSON` → "Suspicious person"), never as the code itself.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { GRADES, NSIR_CHAPTERS, QUALIFIERS, THRIVE_RISKS, UNMAPPED } from '../incidents/incident.model.js';
import { onlyKeys } from '../validation.js';

/** Why an incident is an exception, besides its qualifiers. */
export const EXCEPTION_REASONS = ['critical', 'g1', 'thrive_high'] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

export interface BriefLabels {
  readonly grade: Readonly<Record<string, string>>;
  readonly chapter: Readonly<Record<string, string>>;
  readonly qualifier: Readonly<Record<string, string>>;
  readonly thrive: Readonly<Record<string, string>>;
  /** A force's own opening and closing type codes, when it wants words of its own for them. */
  readonly type: Readonly<Record<string, string>>;
  /** Grades as a partner reads them: how urgent the response was, without the grading terms. */
  readonly partnerGrade: Readonly<Record<string, string>>;
  /** Exception reasons as a chair reads them (internal views). */
  readonly reason: Readonly<Record<string, string>>;
  /** Exception reasons as a partner reads them: plain English, no police grading terms. */
  readonly partnerTheme: Readonly<Record<string, string>>;
}

export const DEFAULT_LABELS: BriefLabels = {
  grade: {
    G1_EMERGENCY: 'Emergency (G1)',
    G2_PRIORITY: 'Priority (G2)',
    G3_SCHEDULED: 'Scheduled (G3)',
    G4_RESOLVED_WITHOUT_DEPLOYMENT: 'Resolved without attending (G4)',
  },
  chapter: {
    crime: 'Crime',
    asb_personal: 'Anti-social behaviour: personal',
    asb_nuisance: 'Anti-social behaviour: nuisance',
    asb_environmental: 'Anti-social behaviour: environmental',
    asb_unspecified: 'Anti-social behaviour (kind not given)',
    public_safety_welfare: 'Public safety and welfare',
    transport: 'Transport',
    administration: 'Administration',
  },
  qualifier: {
    domestic: 'Domestic abuse',
    mental_health: 'Mental health',
    missing_person: 'Missing person',
    hate: 'Hate incident',
    child_protection: 'Child protection',
    alcohol: 'Alcohol',
    drugs: 'Drugs',
    weapon: 'Weapon',
    firearm: 'Firearm',
    road_traffic: 'Road traffic',
    vulnerable_adult: 'Vulnerable adult',
  },
  thrive: { high: 'High risk', medium: 'Medium risk', low: 'Low risk' },
  type: {},
  partnerGrade: {
    G1_EMERGENCY: 'Emergency response',
    G2_PRIORITY: 'Priority response',
    G3_SCHEDULED: 'Scheduled appointment',
    G4_RESOLVED_WITHOUT_DEPLOYMENT: 'Dealt with without attending',
  },
  reason: {
    critical: 'Critical incident',
    g1: 'Emergency response (G1)',
    thrive_high: 'Assessed high risk',
  },
  partnerTheme: {
    critical: 'Critical incidents',
    g1: 'Calls needing an emergency response',
    thrive_high: 'People assessed as at high risk',
    domestic: 'Domestic abuse',
    mental_health: 'Mental health',
    missing_person: 'Missing people',
    hate: 'Hate incidents',
    child_protection: 'Child protection',
    firearm: 'Firearms',
  },
};

/** Shown for an empty value and for a code a profile could not map. */
export const NOT_RECORDED_LABEL = 'Not recorded';
export const UNMAPPED_LABEL = 'Not mapped (see the import report)';

/**
 * Words from a code: `SUSPICIOUS_PERSON`, `suspicious-person` or `FIREARMS DISCHARGE` become "Suspicious person"
 * and "Firearms discharge". Text with lower-case letters of its own is left as it is, and so is a short
 * capitalised abbreviation (`RTC`, `ASB`).
 */
export function wordsOf(code: string): string {
  const text = code.trim();
  const snake = /^[a-z0-9]+([_-][a-z0-9]+)+$/.test(text);
  const shouting = /[A-Z]/.test(text) && !/[a-z]/.test(text);
  if (!snake && !shouting) return text;
  if (shouting && /^[A-Z0-9]{1,3}$/.test(text)) return text;
  const words = text
    .replace(/[_]+|(?<=\w)-(?=\w)/g, ' ')
    .replace(/\s+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export type LabelKind = 'grade' | 'chapter' | 'qualifier' | 'thrive' | 'type';

/** The label of one code of a kind. */
export function labelOf(labels: BriefLabels, kind: LabelKind, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return NOT_RECORDED_LABEL;
  if (code === UNMAPPED) return UNMAPPED_LABEL;
  return labels[kind][code] ?? wordsOf(code);
}

const renames = (codes: readonly string[], what: string) =>
  z.record(z.string(), z.string().trim().min(1).max(80)).superRefine(onlyKeys(codes, what)).optional();

const labelsFileSchema = z.strictObject({
  $comment: z.string().optional(),
  grade: renames(GRADES, 'grade'),
  chapter: renames(NSIR_CHAPTERS, 'NSIR chapter'),
  qualifier: renames(QUALIFIERS, 'qualifier'),
  thrive: renames(THRIVE_RISKS, 'THRIVE risk'),
  type: z.record(z.string().min(1).max(200), z.string().trim().min(1).max(80)).optional(),
  partnerGrade: renames(GRADES, 'grade'),
  reason: renames(EXCEPTION_REASONS, 'exception reason'),
  partnerTheme: renames([...EXCEPTION_REASONS, ...QUALIFIERS], 'exception reason or qualifier'),
});

export class LabelsFileError extends Error {}

/** The default labels with a force's renames laid over them. */
export function withRenames(input: unknown, source = 'labels.json'): BriefLabels {
  const parsed = labelsFileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new LabelsFileError(`${source}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const r = parsed.data;
  return {
    grade: { ...DEFAULT_LABELS.grade, ...r.grade },
    chapter: { ...DEFAULT_LABELS.chapter, ...r.chapter },
    qualifier: { ...DEFAULT_LABELS.qualifier, ...r.qualifier },
    thrive: { ...DEFAULT_LABELS.thrive, ...r.thrive },
    type: { ...DEFAULT_LABELS.type, ...r.type },
    partnerGrade: { ...DEFAULT_LABELS.partnerGrade, ...r.partnerGrade },
    reason: { ...DEFAULT_LABELS.reason, ...r.reason },
    partnerTheme: { ...DEFAULT_LABELS.partnerTheme, ...r.partnerTheme },
  };
}

/** `labels.json` in the site's profiles directory, when there is one; otherwise the defaults. */
export async function loadLabels(profilesDir: string | undefined): Promise<BriefLabels> {
  if (!profilesDir) return DEFAULT_LABELS;
  const file = path.join(profilesDir, 'labels.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_LABELS;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LabelsFileError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return withRenames(json, file);
}
