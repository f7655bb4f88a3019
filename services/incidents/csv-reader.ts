/**
 * Streams records out of a CSV file with a real parser (csv-parse): quoted fields, embedded newlines, a BOM,
 * CRLF or LF. Before any record is read the whole file is scanned once (streaming, constant memory) so a file
 * that is empty, binary, or not in the expected encoding is refused before anything is written.
 * A record the parser cannot read (broken quoting, wrong field count, oversize) is yielded as a reject with its
 * row and line number and raw text; the records around it are still read.
 */
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { type CsvError, type InfoRecord, type Options, parse } from 'csv-parse';
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

/** Refuses empty, binary and wrongly encoded files, reading the file once in chunks. */
export async function scanFile(path: string, encoding: 'utf-8' | 'latin1'): Promise<{ bytes: number }> {
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
        throw new ImportFileError(
          'ENCODING',
          `${path} is not valid UTF-8 (near byte ${offset}). If it is Latin-1 / Windows-1252, import it with --encoding latin1.`,
        );
      }
    }
    offset += buffer.length;
  }
  if (decoder) {
    try {
      decoder.decode();
    } catch {
      throw new ImportFileError('ENCODING', `${path} ends in the middle of a UTF-8 character.`);
    }
  }
  return { bytes: stat.size };
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
  const decode = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      fileBytes += chunk.length;
      options.onBytes?.(fileBytes);
      const text = decoder.decode(chunk, { stream: true });
      const bytes = Buffer.from(text, 'utf8');
      window = Buffer.concat([window.subarray(lastEnd - windowStart), bytes]);
      windowStart = lastEnd;
      totalBytes += bytes.length;
      callback(null, text);
    },
    flush(callback) {
      const text = decoder.decode();
      const bytes = Buffer.from(text, 'utf8');
      window = Buffer.concat([window, bytes]);
      totalBytes += bytes.length;
      callback(null, text);
    },
  });

  const parseOptions: Options<ParsedRecord, unknown> = {
    delimiter: options.delimiter,
    // `raw` gives each record's text; `on_record` gets the byte offset and line count in its context either way,
    // so `info: true` (a second, larger info object for every record) is left off: it cost a third of the parse.
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
    on_record: (value: unknown, context: InfoRecord): ParsedRecord | null => {
      // With `raw: true` each value is { record, raw }.
      const item = value as { record: string[]; raw: string };
      const end = context.bytes;
      // csv-parse's `raw` leaves out the "\n" of a CRLF record delimiter while `bytes` counts it.
      const crlf = item.raw.endsWith('\r') && window[end - 1 - windowStart] === 0x0a ? 1 : 0;
      const start = end - Buffer.byteLength(item.raw, 'utf8') - crlf;
      // The bytes from `start` to `end` are the record's text plus the "\n" the parser left out: the same string
      // as slicing the window, without decoding it again.
      const raw = crlf ? `${item.raw}\n` : item.raw;
      if (!header) {
        header = item.record.map((h) => h.trim());
        const missing = options.requiredColumns.filter((c) => !header?.includes(c));
        const duplicated = header.filter((n, i) => header?.indexOf(n) !== i);
        if (missing.length > 0 || duplicated.length > 0) {
          headerProblem =
            (missing.length > 0 ? `missing column(s): ${missing.join(', ')}. ` : '') +
            (duplicated.length > 0 ? `repeated column(s): ${[...new Set(duplicated)].join(', ')}. ` : '') +
            `The file has: ${header.join(', ')}.`;
        }
        lastEnd = end;
        lastEndLine = context.lines;
        skipped.length = 0;
        return null;
      }
      takeGap(start);
      lastEnd = end;
      lastEndLine = context.lines;
      rowNumber += 1;
      const lineNumber = context.lines - newlinesWithin(raw);
      return { fields: item.record, raw, rowNumber, lineNumber };
    },
  };
  // The typings tie on_record to the default record type; the runtime passes { record, raw } as asked.
  const parser = parse(parseOptions as unknown as Options);

  const stream = fs.createReadStream(path).pipe(decode).pipe(parser);
  for await (const parsed of stream as AsyncIterable<ParsedRecord>) {
    if (headerProblem) {
      stream.destroy();
      throw new ImportFileError('COLUMNS', `Wrong column set for this profile: ${headerProblem}`);
    }
    while (pending.length > 0) yield pending.shift() as CsvItem;
    const record: Record<string, string> = {};
    (header ?? []).forEach((name, i) => {
      record[name] = parsed.fields[i] ?? '';
    });
    yield {
      kind: 'record',
      rowNumber: parsed.rowNumber,
      lineNumber: parsed.lineNumber,
      record,
      raw: parsed.raw,
    };
  }
  if (!header) throw new ImportFileError('EMPTY', `${path} has no header row.`);
  if (headerProblem)
    throw new ImportFileError('COLUMNS', `Wrong column set for this profile: ${headerProblem}`);
  takeGap(totalBytes);
  while (pending.length > 0) yield pending.shift() as CsvItem;
}
