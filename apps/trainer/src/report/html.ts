/**
 * The run report: one self-contained HTML page (inline SVG and CSS, no scripts, no network) that a
 * person would rather read than a log — the results table, the loss curves, the SSE elbow, router
 * usage per known component, and the t-SNE of the adapter matrices when present.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '@hydralora/common';
import { escapeXml } from './svg.js';

export interface ReportSection {
  title: string;
  /** Trusted HTML/SVG produced by this package's chart and table functions. */
  html: string;
  note?: string;
}

export function markdownTableToHtml(headers: string[], rows: (string | number)[][]): string {
  const th = headers.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const tr = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${i > 0 ? ' class="num"' : ''}>${escapeXml(String(c))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) =>
    `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    line(headers),
    `|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export function renderReport(title: string, subtitle: string, sections: ReportSection[]): string {
  const body = sections
    .map(
      (s) =>
        `<section><h2>${escapeXml(s.title)}</h2>${s.note ? `<p class="note">${escapeXml(s.note)}</p>` : ''}<div class="fig">${s.html}</div></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1080px;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.sub{color:#666;margin-top:0}.note{color:#555;font-size:.92rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.92rem}th,td{border:1px solid #ddd;padding:.3rem .6rem}th{background:#f6f8fa;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.fig svg{max-width:100%;height:auto}
</style></head><body>
<h1>${escapeXml(title)}</h1><p class="sub">${escapeXml(subtitle)}</p>
${body}
</body></html>
`;
}

/** Write the report atomically; returns its path. */
export function writeReport(file: string, html: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomicSync(file, html);
  return file;
}
