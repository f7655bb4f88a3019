/** An incident of the picture as a brief shows it: words instead of codes, a reference a person can use. */
import type { PictureIncident, PictureIncidentRef } from '../incidents/picture.service.js';
import { formatLocal } from '../time.js';
import type { Marking } from '../validation.js';
import type { BriefIncident, BriefIncidentRef } from './brief.model.js';
import { type BriefLabels, labelOf } from './labels.js';

/** A place key of the picture (`beat:K2`, `ward:Riverside`, `area:High Street`) in words. */
export function placeLabel(key: string): string {
  if (key.startsWith('beat:')) return `Beat ${key.slice(5)}`;
  if (key.startsWith('ward:')) return `Ward ${key.slice(5)}`;
  if (key.startsWith('area:')) return key.slice(5);
  return key;
}

/** Where an incident happened, as precisely as its source says: beat, else ward, else area. */
export function incidentPlace(i: Pick<PictureIncident, 'beat' | 'ward' | 'area'>): string | null {
  const beat = i.beat?.trim();
  const ward = i.ward?.trim();
  const area = i.area?.trim();
  if (beat) return area ? `${area} (beat ${beat})` : `Beat ${beat}`;
  if (ward) return area ? `${area} (ward ${ward})` : `Ward ${ward}`;
  return area || null;
}

/**
 * A reference a person can use: the source's own, or, when the import derived one from the record's text (which
 * no person can use), time · type · place.
 */
function usableReference(
  i: Pick<PictureIncident, 'reference' | 'derivedReference' | 'eventAt'>,
  type: string | null,
  place: string | null,
  zone: string,
): string {
  if (!i.derivedReference) return i.reference;
  return [formatLocal(i.eventAt, zone), type ?? 'type not recorded', place ?? 'place not recorded'].join(
    ' · ',
  );
}

export function briefIncident(
  i: PictureIncident & { reasons?: readonly string[] },
  labels: BriefLabels,
  zone: string,
): BriefIncident {
  const type = i.type ? labelOf(labels, 'type', i.type) : null;
  const place = incidentPlace(i);
  const codes = i.reasons ?? [];
  const reasonLabel = (code: string) => labels.reason[code] ?? labelOf(labels, 'qualifier', code);
  let outcome: string | null = null;
  if (i.closedAt) {
    const how = [
      i.closingType ? labelOf(labels, 'type', i.closingType) : null,
      i.gradeFinal && i.gradeFinal !== i.grade ? `regraded ${labelOf(labels, 'grade', i.gradeFinal)}` : null,
    ].filter(Boolean);
    outcome = how.length > 0 ? how.join('; ') : null;
  }
  return {
    id: i.id,
    reference: usableReference(i, type, place, zone),
    sourceReference: i.derivedReference ? null : i.reference,
    eventAt: i.eventAt.toISOString(),
    grade: i.grade ? labelOf(labels, 'grade', i.grade) : null,
    type,
    place,
    reasons: codes.map(reasonLabel),
    reasonCodes: [...codes],
    themes: [...new Set(codes.map((c) => labels.partnerTheme[c] ?? reasonLabel(c)))],
    state: i.closedAt ? 'closed' : 'open',
    outcome,
    closedAt: i.closedAt ? i.closedAt.toISOString() : null,
    marking: i.marking as Marking,
  };
}

/** An incident behind a repeat location or a series: its own reference, or time · type · place. */
export function incidentRef(
  i: PictureIncidentRef,
  labels: BriefLabels,
  zone: string,
  place: string,
): BriefIncidentRef {
  const type = i.type ? labelOf(labels, 'type', i.type) : null;
  return {
    reference: usableReference(i, type, place, zone),
    eventAt: i.eventAt.toISOString(),
  };
}
