/**
 * PDF test support, with Debian's poppler-utils (installed by .ci/run): a PDF's page count, each page rendered to
 * PNG by pdftoppm and decoded (pngjs), and the text of a page or of a band of it (pdftotext).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { expect } from 'vitest';

/** Whether Debian's poppler-utils are installed (`.ci/run` installs them; elsewhere PDF checks are skipped). */
export const HAVE_POPPLER = (() => {
  try {
    execFileSync('pdftoppm', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface RenderedPage {
  readonly png: PNG;
  /** The share of a horizontal band's pixels (from `top` to `bottom`, as fractions of the height) that are ink. */
  inkIn(top: number, bottom: number): number;
}

export interface RenderedPdf {
  readonly pages: readonly RenderedPage[];
  /** The text of page `n` (1-based), laid out. */
  text(n: number): string;
  /** The text of a band of page `n`, from `top` to `bottom` in points from the top of the page. */
  bandText(n: number, top: number, bottom: number): string;
  readonly pageCount: number;
  /** Page height in points. */
  readonly pageHeight: number;
}

/** Renders every page at `dpi` to PNG and reads them back. */
export function renderPdf(pdf: Buffer, dpi = 50): RenderedPdf {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmm-pdf-'));
  const file = path.join(dir, 'doc.pdf');
  fs.writeFileSync(file, pdf);
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const pageCount = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
  const size = /^Page size:\s+([\d.]+) x ([\d.]+) pts/m.exec(info);
  const width = Number(size?.[1]);
  execFileSync('pdftoppm', ['-png', '-r', String(dpi), file, path.join(dir, 'page')]);
  const pngs = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort((a, b) => Number(/(\d+)\.png$/.exec(a)?.[1]) - Number(/(\d+)\.png$/.exec(b)?.[1]));
  const pages = pngs.map((f) => {
    const png = PNG.sync.read(fs.readFileSync(path.join(dir, f)));
    return {
      png,
      inkIn(top: number, bottom: number) {
        const from = Math.floor(top * png.height);
        const to = Math.ceil(bottom * png.height);
        let ink = 0;
        for (let y = from; y < to; y += 1)
          for (let x = 0; x < png.width; x += 1) {
            const i = (y * png.width + x) * 4;
            const grey = ((png.data[i] ?? 255) + (png.data[i + 1] ?? 255) + (png.data[i + 2] ?? 255)) / 3;
            if (grey < 128) ink += 1;
          }
        return ink / (png.width * Math.max(1, to - from));
      },
    };
  });
  const pdftotext = (args: string[]) =>
    execFileSync('pdftotext', ['-layout', ...args, file, '-'], { encoding: 'utf8' });
  return {
    pages,
    pageCount,
    pageHeight: Number(size?.[2]),
    text: (n) => pdftotext(['-f', String(n), '-l', String(n)]),
    bandText: (n, top, bottom) =>
      pdftotext([
        '-f',
        String(n),
        '-l',
        String(n),
        '-r',
        '72',
        '-x',
        '0',
        '-y',
        String(Math.round(top)),
        '-W',
        String(Math.round(width)),
        '-H',
        String(Math.round(bottom - top)),
      ]).trim(),
  };
}

/**
 * Checks a PDF holds every expected phrase (its pages' text, white space folded) and `marking` alone in the
 * header band of every page. Without poppler-utils only the file's signature is checked.
 */
export function expectPdfHolds(pdf: Buffer, phrases: readonly string[], marking: string): void {
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  if (!HAVE_POPPLER) return;
  const doc = renderPdf(pdf);
  const all = Array.from({ length: doc.pageCount }, (_, i) => doc.text(i + 1))
    .join('\n')
    .replace(/\s+/g, ' ');
  for (const phrase of phrases) expect(all).toContain(phrase);
  for (let n = 1; n <= doc.pageCount; n += 1)
    expect(doc.bandText(n, 0, 56), `page ${n} header`).toBe(marking);
}
