/**
 * Renders a card as a PDF document for the file (pdfkit): A4, the card's marking centred in the header and the
 * footer of every page (with the page number), headings, text, facts, tables that continue on the next page with
 * their header row repeated. Text is set in DejaVu Sans (embedded, subset), so any text a person typed, accents
 * and other scripts included, prints as typed; buttons are left out (a document has none).
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { Card, CardBlock, Tone } from '../card.js';

const require = createRequire(import.meta.url);
const FONT_REGULAR = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/** A4 in points, with room above and below the text for the marking. */
const MARGIN = { top: 64, bottom: 64, left: 56, right: 56 } as const;
const BODY = 10;
const SMALL = 8;

const TONE_COLOUR: Readonly<Record<Tone, string>> = {
  default: '#000000',
  good: '#1b5e20',
  warning: '#8a5300',
  attention: '#b71c1c',
  accent: '#0d47a1',
};

export interface PdfOptions {
  /** The document's title in its properties (defaults to the card's title). */
  readonly title?: string;
  /** A line under the marking in every footer, e.g. "Not approved" or "Approved by … on …". */
  readonly footerNote?: string;
  /** The document's creation date in its properties (fixed, so the same minutes give the same document). */
  readonly createdAt?: Date;
}

type Doc = PDFKit.PDFDocument;

const contentWidth = (doc: Doc) => doc.page.width - MARGIN.left - MARGIN.right;
const bottom = (doc: Doc) => doc.page.height - MARGIN.bottom;

/** Starts a new page when fewer than `height` points are left on this one. */
function ensureRoom(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) doc.addPage();
}

function table(doc: Doc, columns: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const width = contentWidth(doc);
  const pad = 3;
  doc.fontSize(SMALL);
  // Each column's share follows its longest cell (capped), so short columns stay narrow.
  const natural = columns.map((c, j) =>
    Math.min(
      width * 0.6,
      Math.max(
        doc.font('bold').widthOfString(c),
        ...rows.map((r) => doc.font('regular').widthOfString(r[j] ?? '')),
      ) +
        2 * pad +
        1,
    ),
  );
  const total = natural.reduce((a, b) => a + b, 0);
  const widths = natural.map((w) =>
    total <= width ? w + (width - total) / columns.length : (w / total) * width,
  );
  const heightOf = (cells: readonly string[], font: 'regular' | 'bold') =>
    Math.max(
      ...columns.map((_, j) =>
        doc.font(font).heightOfString(cells[j] ?? '', { width: (widths[j] ?? 0) - 2 * pad }),
      ),
    ) +
    2 * pad;
  const drawRow = (cells: readonly string[], font: 'regular' | 'bold') => {
    const h = heightOf(cells, font);
    const top = doc.y;
    let x = MARGIN.left;
    columns.forEach((_, j) => {
      const w = widths[j] ?? 0;
      doc
        .font(font)
        .fillColor('#000000')
        .text(cells[j] ?? '', x + pad, top + pad, { width: w - 2 * pad, lineBreak: true });
      x += w;
    });
    doc
      .moveTo(MARGIN.left, top + h)
      .lineTo(MARGIN.left + width, top + h)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    doc.x = MARGIN.left;
    doc.y = top + h;
  };
  const header = () => drawRow(columns, 'bold');
  ensureRoom(doc, heightOf(columns, 'bold') + (rows[0] ? heightOf(rows[0], 'regular') : 0));
  header();
  for (const row of rows) {
    const h = heightOf(row, 'regular');
    if (doc.y + h > bottom(doc)) {
      doc.addPage();
      header();
    }
    drawRow(row, 'regular');
  }
  doc.moveDown(0.5);
}

function block(doc: Doc, b: CardBlock, first: boolean): void {
  const width = contentWidth(doc);
  doc.x = MARGIN.left;
  switch (b.type) {
    case 'heading': {
      const size = first ? 16 : 13;
      doc.font('bold').fontSize(size);
      // A heading is kept with at least a few lines of what follows it.
      ensureRoom(doc, doc.heightOfString(b.text, { width }) + 3 * BODY);
      if (!first) doc.moveDown(0.6);
      doc.fillColor('#000000').text(b.text, { width });
      doc.moveDown(0.3);
      return;
    }
    case 'text': {
      const size = b.subtle ? SMALL : BODY;
      doc
        .font(b.strong ? 'bold' : 'regular')
        .fontSize(size)
        .fillColor(b.subtle ? '#555555' : TONE_COLOUR[b.tone ?? 'default']);
      if (b.strong) ensureRoom(doc, 3 * BODY);
      doc.text(b.text, { width, paragraphGap: 3 });
      return;
    }
    case 'notice':
      doc.font('bold').fontSize(BODY).fillColor(TONE_COLOUR[b.tone]).text(b.text, { width, paragraphGap: 3 });
      return;
    case 'facts':
      doc.fontSize(BODY).fillColor('#000000');
      for (const f of b.facts) {
        doc.font('bold').text(`${f.label}: `, { width, continued: true });
        doc.font('regular').text(f.value, { paragraphGap: 2 });
      }
      doc.moveDown(0.3);
      return;
    case 'table':
      if (b.rows.length > 0) table(doc, b.columns, b.rows);
      return;
    case 'chart':
      doc.font('regular').fontSize(BODY).fillColor('#000000').text(b.summary, { width });
      return;
    case 'divider':
      doc.moveDown(0.3);
      doc
        .moveTo(MARGIN.left, doc.y)
        .lineTo(MARGIN.left + width, doc.y)
        .lineWidth(0.5)
        .strokeColor('#999999')
        .stroke();
      doc.moveDown(0.5);
      return;
    case 'actions':
      return;
  }
}

/** The marking in the header and footer of every page, and the page number in the footer. */
function stampPages(doc: Doc, marking: string | undefined, footerNote: string | undefined): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i += 1) {
    doc.switchToPage(i);
    const width = doc.page.width - MARGIN.left - MARGIN.right;
    // Writing in the margins must not start a new page: the bottom margin is lifted while stamping.
    const saved = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.fillColor('#000000');
    if (marking) {
      doc.font('bold').fontSize(11);
      doc.text(marking, MARGIN.left, 28, { width, align: 'center', lineBreak: false });
      doc.text(marking, MARGIN.left, doc.page.height - 40, { width, align: 'center', lineBreak: false });
    }
    doc.font('regular').fontSize(SMALL).fillColor('#555555');
    doc.text(`Page ${i + 1} of ${range.count}`, MARGIN.left, doc.page.height - 26, {
      width,
      align: 'right',
      lineBreak: false,
    });
    if (footerNote)
      doc.text(footerNote, MARGIN.left, doc.page.height - 26, { width: width * 0.75, lineBreak: false });
    doc.page.margins.bottom = saved;
  }
}

/** The card as a PDF (the whole file, in memory: minutes are a few pages). */
export function renderCardPdf(card: Card, options: PdfOptions = {}): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    info: {
      Title: options.title ?? card.title,
      Creator: 'dmm-bot',
      ...(options.createdAt ? { CreationDate: options.createdAt } : {}),
      ...(card.marking ? { Subject: card.marking } : {}),
    },
  });
  doc.registerFont('regular', FONT_REGULAR);
  doc.registerFont('bold', FONT_BOLD);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  card.blocks.forEach((b, i) => {
    block(doc, b, i === 0);
  });
  stampPages(doc, card.marking, options.footerNote);
  doc.end();
  return done;
}
