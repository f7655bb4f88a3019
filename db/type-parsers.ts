/**
 * Type parsers for both drivers, set in this one place so PGlite and PostgreSQL return the same JS values:
 * - int8/bigint (counts, audit sequence) -> number, refusing values beyond Number.MAX_SAFE_INTEGER;
 * - date -> the 'YYYY-MM-DD' string as stored (a JS Date would shift it by the process time zone);
 * - timestamptz stays a Date (both drivers' default).
 */
export const PG_OID = { INT8: 20, DATE: 1082 } as const;

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} is beyond the safe integer range`);
  return n;
}

function parseDate(value: string): string {
  return value;
}

export const typeParsers: Readonly<Record<number, (value: string) => unknown>> = Object.freeze({
  [PG_OID.INT8]: parseInt8,
  [PG_OID.DATE]: parseDate,
});
