/**
 * Small, dependency-light SVG charts for the run reports: d3-scale computes scales and ticks,
 * d3-shape the paths; the markup is written here. Every chart is a standalone `<svg>` string with
 * a title, labelled axes and a legend, readable without JavaScript.
 */
import { scaleBand, scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import { axisTicks, type Tick } from './ticks.js';

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

const W = 640;
const H = 360;
const M = { top: 36, right: 210, bottom: 48, left: 64 };

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function frame(title: string, body: string, xLabel: string, yLabel: string, width = W, height = H): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${M.left}" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>
${body}
<text x="${(M.left + width - M.right) / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>
<text transform="translate(16 ${(M.top + height - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>
</svg>`;
}

/** A tick of a horizontal axis at height `y`, with a grid line `grid` px up when given. */
function xTick(t: Tick, y: number, grid?: number): string {
  const line = grid ? `<line y1="${-grid}" stroke="#e4e4e4"/>` : '';
  const label = t.shown ? `<text y="18" text-anchor="middle">${t.label}</text>` : '';
  return `<g transform="translate(${t.position} ${y})">${line}<line y2="5" stroke="#333"/>${label}</g>`;
}

/** A tick of the left axis, `length` px long, with a grid line `gridWidth` px across the plot. */
function yTick(t: Tick, gridWidth: number, length = 5): string {
  const label = t.shown ? `<text x="-8" dy="4" text-anchor="end">${t.label}</text>` : '';
  return `<g transform="translate(${M.left} ${t.position})"><line x2="${-length}" stroke="#333"/><line x2="${gridWidth}" stroke="#eee"/>${label}</g>`;
}

function axes(
  x: { ticks(n: number): number[]; (v: number): number },
  y: { ticks(n: number): number[]; (v: number): number },
  height = H,
  width = W,
  logY = false,
): string {
  const xt = axisTicks(x, 'x').map((t) => xTick(t, height - M.bottom));
  const yt = axisTicks(y, 'y', { log: logY }).map((t) => yTick(t, width - M.left - M.right, t.shown ? 5 : 3));
  return `<g>${yt.join('')}</g><g>${xt.join('')}</g><line x1="${M.left}" x2="${width - M.right}" y1="${height - M.bottom}" y2="${height - M.bottom}" stroke="#333"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${height - M.bottom}" stroke="#333"/>`;
}

function legend(names: string[], width = W): string {
  return names
    .map(
      (n, i) =>
        `<g transform="translate(${width - M.right + 12} ${M.top + 4 + i * 18})"><rect width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="18" y="10">${escapeXml(n)}</text></g>`,
    )
    .join('');
}

export interface Series {
  name: string;
  points: [number, number][];
}

/** Line chart of one or more series; `logY` for losses spanning orders of magnitude. */
export function lineChart(
  title: string,
  series: Series[],
  opts: { xLabel: string; yLabel: string; logY?: boolean; markers?: boolean; highlightX?: number },
): string {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return frame(title, '<text x="200" y="180">no data</text>', opts.xLabel, opts.yLabel);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x = scaleLinear()
    .domain([Math.min(...xs), Math.max(...xs)])
    .nice()
    .range([M.left, W - M.right]);
  const positive = ys.every((v) => v > 0);
  const logY = opts.logY === true && positive;
  const y = (logY ? scaleLog() : scaleLinear())
    .domain([Math.min(...ys), Math.max(...ys)])
    .nice()
    .range([H - M.bottom, M.top]);
  const gen = line<[number, number]>()
    .x((p) => x(p[0]))
    .y((p) => y(p[1]));
  const paths = series
    .map((s, i) => {
      const c = PALETTE[i % PALETTE.length];
      const pts = s.points.filter(([, v]) => Number.isFinite(v));
      const marks = opts.markers
        ? pts.map(([a, b]) => `<circle cx="${x(a)}" cy="${y(b)}" r="3" fill="${c}"/>`).join('')
        : '';
      return `<path d="${gen(pts) ?? ''}" fill="none" stroke="${c}" stroke-width="2"/>${marks}`;
    })
    .join('');
  const hl =
    opts.highlightX !== undefined
      ? `<line x1="${x(opts.highlightX)}" x2="${x(opts.highlightX)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#e15759" stroke-dasharray="4 3"/><text x="${x(opts.highlightX) + 4}" y="${M.top + 12}" fill="#e15759">chosen</text>`
      : '';
  return frame(
    title,
    axes(x, y, H, W, logY) + paths + hl + legend(series.map((s) => s.name)),
    opts.xLabel,
    opts.yLabel,
  );
}

/** Heatmap of a matrix (rows × cols) with values in [0, 1] or any range; cells carry their value. */
export function heatmap(
  title: string,
  rows: string[],
  cols: string[],
  values: number[][],
  opts: { xLabel: string; yLabel: string },
): string {
  const width = Math.max(W, M.left + 90 + cols.length * 48 + 40);
  const height = Math.max(220, M.top + rows.length * 28 + M.bottom + 20);
  const left = M.left + 70;
  const x = scaleBand<string>()
    .domain(cols)
    .range([left, left + cols.length * 48])
    .padding(0.05);
  const y = scaleBand<string>()
    .domain(rows)
    .range([M.top, M.top + rows.length * 28])
    .padding(0.05);
  const flat = values.flat().filter(Number.isFinite);
  const lo = Math.min(...flat, 0);
  const hi = Math.max(...flat, 1e-12);
  const shade = (v: number) => {
    const t = (v - lo) / (hi - lo || 1);
    const c = (a: number, b: number) => Math.round(a + (b - a) * t);
    return `rgb(${c(247, 33)},${c(251, 102)},${c(255, 172)})`;
  };
  const cells = rows
    .flatMap((r, i) =>
      cols.map((c, j) => {
        const v = values[i]?.[j] ?? Number.NaN;
        const dark = (v - lo) / (hi - lo || 1) > 0.55;
        return `<rect x="${x(c)}" y="${y(r)}" width="${x.bandwidth()}" height="${y.bandwidth()}" fill="${shade(v)}"/><text x="${x(c)! + x.bandwidth() / 2}" y="${y(r)! + y.bandwidth() / 2 + 4}" text-anchor="middle" fill="${dark ? '#fff' : '#222'}" font-size="10">${Number.isFinite(v) ? v.toFixed(2) : '–'}</text>`;
      }),
    )
    .join('');
  const rl = rows
    .map(
      (r) =>
        `<text x="${left - 6}" y="${y(r)! + y.bandwidth() / 2 + 4}" text-anchor="end">${escapeXml(r)}</text>`,
    )
    .join('');
  const cl = cols
    .map(
      (c) =>
        `<text x="${x(c)! + x.bandwidth() / 2}" y="${M.top + rows.length * 28 + 16}" text-anchor="middle">${escapeXml(c)}</text>`,
    )
    .join('');
  return frame(title, cells + rl + cl, opts.xLabel, opts.yLabel, width, height);
}

/** Scatter plot with one colour per group (t-SNE maps). */
export function scatter(
  title: string,
  groups: { name: string; points: [number, number][] }[],
  opts: { xLabel: string; yLabel: string },
): string {
  const all = groups.flatMap((g) => g.points);
  if (all.length === 0) return frame(title, '', opts.xLabel, opts.yLabel);
  const x = scaleLinear()
    .domain([Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))])
    .nice()
    .range([M.left, W - M.right]);
  const y = scaleLinear()
    .domain([Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))])
    .nice()
    .range([H - M.bottom, M.top]);
  const dots = groups
    .map((g, i) =>
      g.points
        .map(
          ([a, b]) =>
            `<circle cx="${x(a)}" cy="${y(b)}" r="4" fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.8"/>`,
        )
        .join(''),
    )
    .join('');
  return frame(title, axes(x, y) + dots + legend(groups.map((g) => g.name)), opts.xLabel, opts.yLabel);
}

/** Grouped bar chart with optional ± error bars (results per component and method). */
export function barChart(
  title: string,
  categories: string[],
  series: { name: string; values: number[]; errors?: number[] }[],
  opts: { xLabel: string; yLabel: string; max?: number },
): string {
  const width = Math.max(W, M.left + M.right + categories.length * Math.max(96, series.length * 16 + 24));
  const x0 = scaleBand<string>()
    .domain(categories)
    .range([M.left, width - M.right])
    .padding(0.2);
  const x1 = scaleBand<string>()
    .domain(series.map((s) => s.name))
    .range([0, x0.bandwidth()])
    .padding(0.05);
  const top =
    opts.max ?? Math.max(...series.flatMap((s) => s.values.map((v, i) => v + (s.errors?.[i] ?? 0))), 1e-9);
  const y = scaleLinear()
    .domain([0, top])
    .nice()
    .range([H - M.bottom, M.top]);
  const bars = series
    .map((s, si) =>
      categories
        .map((c, ci) => {
          const v = s.values[ci] ?? 0;
          const e = s.errors?.[ci];
          const bx = x0(c)! + x1(s.name)!;
          const err = e
            ? `<line x1="${bx + x1.bandwidth() / 2}" x2="${bx + x1.bandwidth() / 2}" y1="${y(Math.max(0, v - e))}" y2="${y(Math.min(top, v + e))}" stroke="#222"/>`
            : '';
          return `<rect x="${bx}" y="${y(v)}" width="${x1.bandwidth()}" height="${H - M.bottom - y(v)}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeXml(`${s.name} · ${c}: ${v.toFixed(3)}${e ? ` ± ${e.toFixed(3)}` : ''}`)}</title></rect>${err}`;
        })
        .join(''),
    )
    .join('');
  const xl = categories
    .map(
      (c) =>
        `<text x="${x0(c)! + x0.bandwidth() / 2}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(c)}</text>`,
    )
    .join('');
  const yt = axisTicks(y, 'y', { count: 5 })
    .map((t) => yTick(t, width - M.left - M.right))
    .join('');
  return frame(
    title,
    yt +
      bars +
      xl +
      legend(
        series.map((s) => s.name),
        width,
      ),
    opts.xLabel,
    opts.yLabel,
    width,
  );
}

/** One row of an {@link intervalChart}: a value with its interval, and whether it counts as real. */
export interface IntervalRow {
  label: string;
  value: number;
  low: number;
  high: number;
  /** Drawn filled and dark (e.g. the interval excludes 0 and the test agrees); else hollow. */
  real?: boolean;
}

/**
 * Differences with their intervals (a forest plot), one panel per comparison side by side on a
 * shared x scale that includes 0: a line over [low, high] and a dot at the value per row, a dashed
 * line at 0, real differences filled. Rows are matched across panels by label (in `order`, then
 * as they come); a panel without a row leaves it empty. The `<svg>` scales down to its container
 * (max-width 100%).
 */
export function intervalChart(
  title: string,
  panels: { name: string; rows: IntervalRow[] }[],
  opts: { xLabel: string; format?: (v: number) => string; order?: readonly string[] },
): string {
  const present = new Set(panels.flatMap((p) => p.rows.map((r) => r.label)));
  const labels = [...new Set([...(opts.order ?? []).filter((l) => present.has(l)), ...present])];
  const rowH = 22;
  const top = 52;
  const bottom = 46;
  const left = Math.min(260, 24 + 6.6 * Math.max(8, ...labels.map((l) => l.length)));
  const panelW = 300;
  const gap = 44;
  const width = left + panels.length * panelW + (panels.length - 1) * gap + 16;
  const height = top + labels.length * rowH + bottom;
  const all = panels.flatMap((p) => p.rows.flatMap((r) => [r.low, r.high, r.value]));
  const lo = Math.min(0, ...all);
  const hi = Math.max(0, ...all);
  const pad = (hi - lo || 1) * 0.04;
  const fmt = opts.format ?? ((v: number) => String(v));
  const rowY = (i: number) => top + i * rowH + rowH / 2;
  const parts: string[] = [];
  labels.forEach((l, i) => {
    if (i % 2 === 1)
      parts.push(`<rect x="0" y="${top + i * rowH}" width="${width}" height="${rowH}" fill="#f6f6f6"/>`);
    parts.push(`<text x="${left - 10}" y="${rowY(i) + 4}" text-anchor="end">${escapeXml(l)}</text>`);
  });
  panels.forEach((panel, pi) => {
    const x0 = left + pi * (panelW + gap);
    const x = scaleLinear()
      .domain([lo - pad, hi + pad])
      .nice()
      .range([x0, x0 + panelW]);
    parts.push(
      `<text x="${x0 + panelW / 2}" y="${top - 12}" text-anchor="middle" font-weight="600">${escapeXml(panel.name)}</text>`,
    );
    const yAxis = top + labels.length * rowH;
    for (const t of axisTicks(x, 'x', { count: 5 })) parts.push(xTick(t, yAxis, labels.length * rowH));
    parts.push(
      `<line x1="${x0}" x2="${x0 + panelW}" y1="${yAxis}" y2="${yAxis}" stroke="#333"/>`,
      `<line class="zero" x1="${x(0)}" x2="${x(0)}" y1="${top}" y2="${yAxis}" stroke="#555" stroke-dasharray="4 3"/>`,
    );
    for (const r of panel.rows) {
      const y = rowY(labels.indexOf(r.label));
      const colour = r.real ? '#c0392b' : '#4e79a7';
      const tip = `${r.label} (${panel.name}): ${fmt(r.value)} [${fmt(r.low)}, ${fmt(r.high)}]${r.real ? ' (real)' : ''}`;
      parts.push(
        `<g><title>${escapeXml(tip)}</title><line x1="${x(r.low)}" x2="${x(r.high)}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="2"/><circle cx="${x(r.value)}" cy="${y}" r="4.5" fill="${r.real ? colour : '#fff'}" stroke="${colour}" stroke-width="2"/></g>`,
      );
    }
  });
  parts.push(
    `<text x="${left + (width - left - 16) / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>
${parts.join('\n')}
</svg>`;
}
