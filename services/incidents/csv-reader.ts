/**
 * Streams records out of a CSV file with a real parser (csv-parse): quoted fields, embedded newlines, a BOM,
 * CRLF or LF. Before any record is read the whole file is scanned once (streaming, constant memory) so a file
 * that is empty, binary, or not in the expected encoding is refused before anything is written.
 * A record the parser cannot read (broken quoting, wrong field count, oversize) is yielded as a reject with its
 * row and line number and raw text; the records around it are still read.
 */
import fs from 'node:fs';
import { type CsvError, type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

export type FileProblem = 'EMPTY' | 'BINARY' | 'ENCODING' | 'COLUMNS' | 'UNREADABLE';

export class ImportFileError extends Error {
  constructor(
    readonly problem: FileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'ImportFileError';
  }
}

export type CsvItem =
  | {
      readonly kind: 'record';
      readonly rowNumber: number;
      readonly lineNumber: number;
      readonly record: Readonly<Record<string, string>>;
      readonly raw: string;
    }
  | {
      readonly kind: 'reject';
      readonly rowNumber: number;
      readonly lineNumber: number;
      readonly reason: string;
      readonly raw: string;
    };

export interface CsvReadOptions {
  readonly encoding: 'utf-8' | 'latin1';
  readonly delimiter: string;
  readonly requiredColumns: readonly string[];
  /** Largest record accepted, in characters; a larger one is rejected, bounding memory per record. */
  readonly maxRecordSize?: number;
  /** Told how many bytes of the file have been read so far (for a progress bar). */
  readonly onBytes?: (bytes: number) => void;
}

const DEFAULT_MAX_RECORD = 1_000_000;

/**
 * The first byte of `buffer` that does not begin (or continue) a well-formed UTF-8 character (RFC 3629: no
 * overlong forms, surrogates or code points above U+10FFFF), or -1. Only used to say where a file that failed to
 * decode went wrong; a sequence cut by the end of the buffer counts as well-formed.
 */
export function firstInvalidUtf8(buffer: Uint8Array): number {
  let i = 0;
  while (i < buffer.length) {
    const b = buffer[i] as number;
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (b < 0x80) {
      i += 1;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) min = 0xa0;
      if (b === 0xed) max = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) min = 0x90;
      if (b === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k += 1) {
      if (i + k >= buffer.length) return -1;
      const c = buffer[i + k] as number;
      if (c < (k === 1 ? min : 0x80) || c > (k === 1 ? max : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** What is wrong with a header for a profile's columns, or undefined. */
function headerProblemOf(header: readonly string[], required: readonly string[]): string | undefined {
  const missing = required.filter((c) => !header.includes(c));
  const duplicated = header.filter((n, i) => header.indexOf(n) !== i);
  if (missing.length === 0 && duplicated.length === 0) return undefined;
  return (
    (missing.length > 0 ? `missing column(s): ${missing.join(', ')}. ` : '') +
    (duplicated.length > 0 ? `repeated column(s): ${[...new Set(duplicated)].join(', ')}. ` : '') +
    `The file has: ${header.join(', ')}.`
  );
}

const HEADER_BYTES = 1 << 20;

/** Reads the header row (from the first megabyte) and refuses a column set the profile cannot read. */
async function checkHeader(
  path: string,
  encoding: 'utf-8' | 'latin1',
  columns: { readonly delimiter: string; readonly requiredColumns: readonly string[] },
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of fs.createReadStream(path, { end: HEADER_BYTES - 1 }))
    chunks.push(chunk as Buffer);
  const text = new TextDecoder(encoding === 'utf-8' ? 'utf-8' : 'windows-1252').decode(Buffer.concat(chunks));
  let header: string[] | undefined;
  try {
    const rows = parseSync(text, {
      delimiter: columns.delimiter,
      to: 1,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as string[][];
    header = rows[0]?.map((h) => h.trim());
  } catch {
    header = undefined;
  }
  if (!header)
    throw new ImportFileError('COLUMNS', `${path} has no readable header row in its first megabyte.`);
  const problem = headerProblemOf(header, columns.requiredColumns);
  if (problem) throw new ImportFileError('COLUMNS', `Wrong column set for this profile: ${problem}`);
}

/**
 * Refuses empty, binary and wrongly encoded files, reading the file once in chunks, and (given the profile's
 * columns) a header the profile cannot read: all before any batch is created.
 */
export async function scanFile(
  path: string,
  encoding: 'utf-8' | 'latin1',
  columns?: { readonly delimiter: string; readonly requiredColumns: readonly string[] },
): Promise<{ bytes: number }> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(path);
  } catch (error) {
    throw new ImportFileError('UNREADABLE', `Cannot read ${path}: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new ImportFileError('UNREADABLE', `${path} is not a file`);
  if (stat.size === 0)
    throw new ImportFileError('EMPTY', `${path} is empty (0 bytes): expected a header row and records.`);
  const decoder = encoding === 'utf-8' ? new TextDecoder('utf-8', { fatal: true }) : undefined;
  let offset = 0;
  // The last bytes of the previous chunk, which may hold the start of a character this chunk completes.
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(path)) {
    const buffer = chunk as Buffer;
    const nul = buffer.indexOf(0);
    if (nul !== -1) {
      throw new ImportFileError(
        'BINARY',
        `${path} looks like a binary file (a NUL byte at byte ${offset + nul}); expected CSV text.`,
      );
    }
    if (decoder) {
      try {
        decoder.decode(buffer, { stream: true });
      } catch {
        const at = firstInvalidUtf8(Buffer.concat([carry, buffer]));
        const where = at === -1 ? `near byte ${offset}` : `at byte ${offset - carry.length + at}`;
        throw new ImportFileError(
          'ENCODING',
          `${path} is not valid UTF-8 (${where}). If it is Latin-1 / Windows-1252, import it with --encoding latin1.`,
        );
      }
      // The tail from the first byte that starts a character (the chunk decoded, so what precedes is whole).
      carry = buffer.subarray(Math.max(0, buffer.length - 3));
      while (carry.length > 0 && ((carry[0] as number) & 0xc0) === 0x80) carry = carry.subarray(1);
    }
    offset += buffer.length;
  }
  if (decoder) {
    try {
      decoder.decode();
    } catch {
      let lead = carry.length - 1;
      while (lead > 0 && ((carry[lead] as number) & 0xc0) === 0x80) lead -= 1;
      throw new ImportFileError(
        'ENCODING',
        `${path} ends in the middle of a UTF-8 character (at byte ${offset - carry.length + Math.max(0, lead)}). If it is Latin-1 / Windows-1252, import it with --encoding latin1.`,
      );
    }
  }
  if (columns) await checkHeader(path, encoding, columns);
  return { bytes: stat.size };
}

/** The part of csv-parse's parser that reads records (its stream and sync parsers each drive one). */
interface RecordParser {
  parse(
    bytes: Buffer | undefined,
    end: boolean,
    push: (record: unknown) => void,
    close: () => void,
  ): Error | undefined;
  /** Running totals: bytes read up to the end of the last record, and lines. */
  readonly info: { readonly bytes: number; readonly lines: number };
}

/**
 * csv-parse's record parser, as its stream parser holds it (`api`): not in its typings, so checked here, and the
 * reader's tests fail at once if an upgrade moves it.
 */
function recordParser(options: Options<ParsedRecord, unknown>): RecordParser {
  // The typings tie the options to the default record type; the runtime passes { record, raw } as asked.
  const stream = parse(options as unknown as Options) as unknown as { api?: Partial<RecordParser> };
  const api = stream.api;
  if (typeof api?.parse !== 'function' || typeof api.info?.bytes !== 'number')
    throw new Error('csv-parse no longer exposes its record parser (Parser.api); see csv-reader.ts');
  return api as RecordParser;
}

function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'text follows a closing quote (broken quoting)';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote opens in the middle of a field (broken quoting)';
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return `wrong number of fields: ${error.message.replace(/^Invalid Record Length: /, '')}`;
    case 'CSV_MAX_RECORD_SIZE':
      return 'the record is larger than the largest allowed (1,000,000 characters)';
    default:
      return error.message;
  }
}

/** Line breaks inside a record's text, not counting the one that ends it. */
function newlinesWithin(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < text.length - 1; i = text.indexOf('\n', i + 1)) count += 1;
  return count;
}

interface ParsedRecord {
  readonly fields: string[];
  readonly raw: string;
  readonly rowNumber: number;
  readonly lineNumber: number;
}

/**
 * Reads the file's records; call `scanFile` first. Throws `ImportFileError('COLUMNS')` before the first record.
 *
 * Nothing is lost: the parser reports each good record's end offset, so every byte between two good records
 * (text the parser skipped as broken) is yielded verbatim as one reject, whatever the parser managed to say
 * about it.
 */
export async function* readCsv(path: string, options: CsvReadOptions): AsyncGenerator<CsvItem> {
  for await (const batch of readCsvBatches(path, options)) yield* batch;
}

/**
 * `readCsv` a batch at a time: the items of each piece of the file read, in order. An import takes them so, since
 * an async generator's round trip for every one of a million items cost a tenth of the import's time.
 */
export async function* readCsvBatches(path: string, options: CsvReadOptions): AsyncGenerator<CsvItem[]> {
  const pending: CsvItem[] = [];
  const skipped: Array<{ reason: string; line: number }> = [];
  let rowNumber = 0;
  let header: string[] | undefined;
  let headerProblem: string | undefined;
  // Bytes of the decoded text (UTF-8, as the parser counts them) from `windowStart` on.
  let window = Buffer.alloc(0);
  let windowStart = 0;
  let totalBytes = 0;
  let lastEnd = 0;
  let lastEndLine = 0;
  let fileBytes = 0;

  /**
   * Turns the text between two good records into items. The parser's own recovery can run on past a stray
   * quote to the end of the file, so a stretch of several lines is salvaged line by line: a line that parses
   * on its own into a full record is a record, any other line a reject.
   */
  function takeGap(until: number) {
    if (until <= lastEnd) return;
    const raw = window.subarray(lastEnd - windowStart, until - windowStart).toString('utf8');
    const reasons = [...new Set(skipped.map((s) => s.reason))];
    const reason = reasons.join('; ') || 'unreadable text';
    skipped.length = 0;
    if (raw.trim() === '') return;
    const lines = raw.split(/(?<=\n)/);
    let line = lastEndLine + 1;
    for (const text of lines) {
      const here = line;
      line += 1;
      if (text.trim() === '') continue;
      rowNumber += 1;
      const fields = lines.length > 1 ? parseLine(text) : undefined;
      if (fields && header && fields.length === header.length) {
        pending.push({ kind: 'record', rowNumber, lineNumber: here, record: toRecord(fields), raw: text });
      } else if (fields && header && here !== lastEndLine + 1) {
        const why = `wrong number of fields: ${fields.length}, expected ${header.length}`;
        pending.push({ kind: 'reject', rowNumber, lineNumber: here, reason: why, raw: text });
      } else {
        pending.push({ kind: 'reject', rowNumber, lineNumber: here, reason, raw: text });
      }
    }
  }

  function parseLine(text: string): string[] | undefined {
    try {
      const rows = parseSync(text, { delimiter: options.delimiter, relax_column_count: false }) as string[][];
      return rows.length === 1 ? rows[0] : undefined;
    } catch {
      return undefined;
    }
  }

  function toRecord(fields: readonly string[]): Record<string, string> {
    const record: Record<string, string> = {};
    (header ?? []).forEach((name, i) => {
      record[name] = fields[i] ?? '';
    });
    return record;
  }

  // windows-1252 is the superset of Latin-1 that exports labelled "Latin-1" actually use. TextDecoder drops a BOM.
  const decoder = new TextDecoder(options.encoding === 'utf-8' ? 'utf-8' : 'windows-1252');
  /** Appends decoded text (as UTF-8 bytes) to the window the raw text of skipped stretches is cut from. */
  const keep = (bytes: Buffer) => {
    window = Buffer.concat([window.subarray(lastEnd - windowStart), bytes]);
    windowStart = lastEnd;
    totalBytes += bytes.length;
  };

  const parseOptions: Options<ParsedRecord, unknown> = {
    delimiter: options.delimiter,
    // `raw` gives each record's text; its byte offset and line count are read off the parser (see onRecord), so
    // `info: true` (a larger info object for every record) is left off: it cost a third of the parse.
    raw: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: options.maxRecordSize ?? DEFAULT_MAX_RECORD,
    on_skip: (error: CsvError | undefined) => {
      skipped.push({
        reason: error ? describeCsvError(error) : 'unreadable record',
        line: typeof error?.lines === 'number' ? error.lines : 0,
      });
      return undefined;
    },
  };
  /**
   * Each good record, as the parser finds it (with `raw: true`, { record, raw }); its end offset and line count
   * are the parser's running totals at that moment (what `on_record`'s context would copy into two new objects
   * for every record, and decode its text a second time for: a fifth of the parse).
   */
  const onRecord = (value: unknown): void => {
    const item = value as { record: string[]; raw: string };
    const { bytes: end, lines } = api.info;
    // csv-parse's `raw` leaves out the "\n" of a CRLF record delimiter while `bytes` counts it.
    const crlf = item.raw.endsWith('\r') && window[end - 1 - windowStart] === 0x0a ? 1 : 0;
    const start = end - Buffer.byteLength(item.raw, 'utf8') - crlf;
    // The bytes from `start` to `end` are the record's text plus the "\n" the parser left out: the same string
    // as slicing the window, without decoding it again.
    const raw = crlf ? `${item.raw}\n` : item.raw;
    if (!header) {
      header = item.record.map((h) => h.trim());
      headerProblem = headerProblemOf(header, options.requiredColumns);
      lastEnd = end;
      lastEndLine = lines;
      skipped.length = 0;
      return;
    }
    takeGap(start);
    lastEnd = end;
    lastEndLine = lines;
    rowNumber += 1;
    pending.push({
      kind: 'record',
      rowNumber,
      lineNumber: lines - newlinesWithin(raw),
      record: toRecord(item.record),
      raw,
    });
    // Taken here, in order with the rejects of the text before it; nothing goes through a stream's readable
    // side (an object-mode stream and its async iterator cost a fifth of the import's time).
  };
  // csv-parse's record-level API, which its own stream and sync parsers drive: fed each piece of the file and
  // handed each record, with no stream in between.
  const api = recordParser(parseOptions);
  /** Parses the bytes now; a parser error (not a skipped record) is thrown. */
  const write = (bytes: Buffer | undefined, end = false) => {
    if (bytes) keep(bytes);
    const error = api.parse(bytes, end, onRecord, () => undefined);
    if (error) throw error;
    if (headerProblem)
      throw new ImportFileError('COLUMNS', `Wrong column set for this profile: ${headerProblem}`);
  };

  for await (const chunk of fs.createReadStream(path, { highWaterMark: 1 << 18 })) {
    fileBytes += (chunk as Buffer).length;
    options.onBytes?.(fileBytes);
    write(Buffer.from(decoder.decode(chunk as Buffer, { stream: true }), 'utf8'));
    if (pending.length > 0) yield pending.splice(0);
  }
  write(Buffer.from(decoder.decode(), 'utf8'));
  write(undefined, true);
  if (pending.length > 0) yield pending.splice(0);
  if (!header) throw new ImportFileError('EMPTY', `${path} has no header row.`);
  if (headerProblem)
    throw new ImportFileError('COLUMNS', `Wrong column set for this profile: ${headerProblem}`);
  takeGap(totalBytes);
  if (pending.length > 0) yield pending.splice(0);
}
