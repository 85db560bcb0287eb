/**
 * Hand-written SVG charts, readable on their own: title, subtitle, axis labels with units, ticks
 * with grid lines, and a legend when there are several series. Output is deterministic: the same
 * chart gives the same bytes (coordinates rounded to 0.01 px, no timestamps, no random ids).
 */

/** Canvas size in px: wide enough for a legend column beside the plot, fits a page or a slide. */
const WIDTH = 800;
const HEIGHT = 480;
/** Room around the plot area, in px: title and subtitle above, tick labels and axis titles on the left and below. */
const MARGIN = { top: 64, right: 24, bottom: 64, left: 84 };
/** Width of the legend column, in px, when there is a legend: a swatch and about 32 label characters. */
const LEGEND_WIDTH = 260;
/** Legend labels longer than this many characters are cut, with an ellipsis, to stay on the canvas. */
const LEGEND_CHARS = 32;
/** Height of one legend entry, in px (one line of the 12 px label font). */
const LEGEND_ROW = 18;
/** Length of the sample line drawn before a legend label, in px. */
const LEGEND_SWATCH = 24;
/** Aim for about this many ticks on an axis (a nice step may give a few more or fewer). */
const TARGET_TICKS = 6;
/** Length of a tick mark, in px. */
const TICK = 5;
/** Font sizes, in px: title, subtitle and axis titles, tick and legend labels. */
const FONT = { title: 16, label: 13, tick: 12 };
/** Gap, in px, between an axis title and the outer edge of the canvas. */
const AXIS_TITLE_INSET = 18;
/** Baselines of the title and subtitle lines, in px from the top. */
const TITLE_Y = 24;
const SUBTITLE_Y = 44;
/**
 * Line colours (Tableau 10, distinguishable and colour-blind aware); past ten series the colours
 * repeat with the next dash pattern, so that every series stays distinct.
 */
const PALETTE = [
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
const DASHES = ['', '6 3', '2 2', '8 3 2 3'];
/** Line and bar outline widths, in px. */
const STROKE = 2;
/** Fraction of each bar slot left empty between bars. */
const BAR_GAP = 0.2;
/** At most this many category labels under a bar chart; with more bars only every k-th is labelled. */
const MAX_BAR_LABELS = 25;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Text for XML character data or an attribute value. Characters XML 1.0 forbids (C0 controls
 * other than tab, LF, CR; lone surrogates; U+FFFE, U+FFFF) become U+FFFD.
 */
export function escapeXml(text: string): string {
  return (
    text
      .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
      // The control characters are the point of this pattern: XML cannot carry them.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|\p{Cs}/gu, '\ufffd')
  );
}

/** A coordinate with at most two decimals, never `-0`. */
function num(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/** Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(min: number, max: number): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const rough = span / TARGET_TICKS;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough) ?? rough;
  const first = Math.ceil(min / step);
  const last = Math.floor(max / step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(decimals)));
}

/** A tick label: as many decimals as the step between ticks needs, thousands grouped with a thin space. */
function tickLabel(value: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const [whole, fraction] = value.toFixed(decimals).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** A domain that ends on ticks: [0, max] rounded up, or [0, 1] when there is nothing to show. */
function domainTo(max: number): [number, number] {
  if (!(max > 0)) return [0, 1];
  const ticks = niceTicks(0, max);
  const last = ticks[ticks.length - 1]!;
  return [0, last >= max ? last : last + (ticks[1]! - ticks[0]!)];
}

interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function frame(legend: boolean): Frame {
  return {
    x0: MARGIN.left,
    x1: WIDTH - MARGIN.right - (legend ? LEGEND_WIDTH : 0),
    y0: MARGIN.top,
    y1: HEIGHT - MARGIN.bottom,
  };
}

const text = (x: number, y: number, content: string, attrs = ''): string =>
  `<text x="${num(x)}" y="${num(y)}"${attrs}>${escapeXml(content)}</text>`;

/** The opening of the document: title (also as <title>, for screen readers and tooltips) and subtitle. */
function header(title: string, subtitle: string, description: string): string[] {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" font-family="sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<desc>${escapeXml(description)}</desc>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(WIDTH / 2, TITLE_Y, title, ` text-anchor="middle" font-size="${FONT.title}" font-weight="bold"`),
    text(WIDTH / 2, SUBTITLE_Y, subtitle, ` text-anchor="middle" font-size="${FONT.label}" fill="#444444"`),
  ];
}

/** The y axis with ticks, grid lines and title, and the x axis line with its title. */
function axes(
  f: Frame,
  yTicks: readonly number[],
  y: (v: number) => number,
  xLabel: string,
  yLabel: string,
): string[] {
  const out = ['<g class="y-axis">'];
  for (const t of yTicks) {
    const py = y(t);
    out.push(
      `<line x1="${num(f.x0)}" y1="${num(py)}" x2="${num(f.x1)}" y2="${num(py)}" stroke="#e0e0e0"/>`,
      `<line x1="${num(f.x0 - TICK)}" y1="${num(py)}" x2="${num(f.x0)}" y2="${num(py)}" stroke="#000000"/>`,
      text(
        f.x0 - TICK - 2,
        py + FONT.tick / 3,
        tickLabel(t, yTicks),
        ` text-anchor="end" font-size="${FONT.tick}"`,
      ),
    );
  }
  const midY = (f.y0 + f.y1) / 2;
  out.push(
    `<line x1="${num(f.x0)}" y1="${num(f.y0)}" x2="${num(f.x0)}" y2="${num(f.y1)}" stroke="#000000"/>`,
    text(
      AXIS_TITLE_INSET,
      midY,
      yLabel,
      ` text-anchor="middle" font-size="${FONT.label}" transform="rotate(-90 ${AXIS_TITLE_INSET} ${num(midY)})"`,
    ),
    '</g>',
    '<g class="x-axis">',
    `<line x1="${num(f.x0)}" y1="${num(f.y1)}" x2="${num(f.x1)}" y2="${num(f.y1)}" stroke="#000000"/>`,
    text(
      (f.x0 + f.x1) / 2,
      HEIGHT - AXIS_TITLE_INSET + FONT.label / 3,
      xLabel,
      ` text-anchor="middle" font-size="${FONT.label}"`,
    ),
  );
  return out;
}

function xTickMarks(f: Frame, ticks: readonly { at: number; label: string }[]): string[] {
  return ticks.flatMap(({ at, label }) => [
    `<line x1="${num(at)}" y1="${num(f.y1)}" x2="${num(at)}" y2="${num(f.y1 + TICK)}" stroke="#000000"/>`,
    text(at, f.y1 + TICK + FONT.tick + 2, label, ` text-anchor="middle" font-size="${FONT.tick}"`),
  ]);
}

/** A message across the middle of an empty plot. */
const emptyNote = (f: Frame, message: string): string =>
  text(
    (f.x0 + f.x1) / 2,
    (f.y0 + f.y1) / 2,
    message,
    ` text-anchor="middle" font-size="${FONT.label}" fill="#666666"`,
  );

export interface Series {
  label: string;
  /** In data units, drawn joined in order. */
  points: readonly (readonly [number, number])[];
}

export interface LineChart {
  title: string;
  subtitle: string;
  /** Axis titles, with units. */
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Fixed y range; by default [0, the largest y] rounded to ticks. The x range is [0, the largest x]. */
  yDomain?: readonly [number, number];
  /** Step functions such as CDFs: each series keeps its last value to the right edge of the plot. */
  hold: boolean;
  /** Shown across the plot when no series has a point. */
  emptyMessage: string;
}

function styleOf(i: number): string {
  const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length]!;
  return ` stroke="${PALETTE[i % PALETTE.length]}" stroke-width="${STROKE}" fill="none"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}`;
}

const cut = (label: string): string =>
  label.length <= LEGEND_CHARS ? label : `${label.slice(0, LEGEND_CHARS - 1)}…`;

/** Entries down the legend column; when they do not all fit, the last row says how many are left out. */
function legend(f: Frame, labels: readonly string[]): string[] {
  const x = f.x1 + MARGIN.right;
  const rows = Math.floor((f.y1 - f.y0) / LEGEND_ROW);
  const shown = labels.length <= rows ? labels.length : rows - 1;
  const out = ['<g class="legend">'];
  labels.slice(0, shown).forEach((label, i) => {
    const y = f.y0 + i * LEGEND_ROW + LEGEND_ROW / 2;
    out.push(
      `<line x1="${num(x)}" y1="${num(y)}" x2="${num(x + LEGEND_SWATCH)}" y2="${num(y)}"${styleOf(i)}/>`,
      text(x + LEGEND_SWATCH + 6, y + FONT.tick / 3, cut(label), ` font-size="${FONT.tick}"`),
    );
  });
  if (shown < labels.length) {
    const y = f.y0 + shown * LEGEND_ROW + LEGEND_ROW / 2;
    out.push(text(x, y + FONT.tick / 3, `… and ${labels.length - shown} more`, ` font-size="${FONT.tick}"`));
  }
  out.push('</g>');
  return out;
}

export function lineChartSvg(chart: LineChart): string {
  const hasLegend = chart.series.length > 1;
  const f = frame(hasLegend);
  const points = chart.series.flatMap((s) => s.points);
  const [xMin, xMax] = domainTo(Math.max(0, ...points.map(([x]) => x)));
  const [yMin, yMax] = chart.yDomain ?? domainTo(Math.max(0, ...points.map(([, y]) => y)));
  const x = (v: number): number => f.x0 + ((v - xMin) / (xMax - xMin)) * (f.x1 - f.x0);
  const y = (v: number): number => f.y1 - ((v - yMin) / (yMax - yMin)) * (f.y1 - f.y0);
  const xTicks = niceTicks(xMin, xMax);
  const description = `Line chart, ${chart.series.length} series: ${chart.series.map((s) => s.label).join('; ')}`;
  const out = [
    ...header(chart.title, chart.subtitle, description),
    ...axes(f, niceTicks(yMin, yMax), y, chart.xLabel, chart.yLabel),
    ...xTickMarks(
      f,
      xTicks.map((t) => ({ at: x(t), label: tickLabel(t, xTicks) })),
    ),
    '</g>',
    '<g class="series">',
  ];
  chart.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const last = s.points[s.points.length - 1]!;
    const points = chart.hold && last[0] < xMax ? [...s.points, [xMax, last[1]] as const] : s.points;
    const d = points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${num(x(px))} ${num(y(py))}`).join(' ');
    out.push(`<path d="${d}"${styleOf(i)}><title>${escapeXml(s.label)}</title></path>`);
  });
  out.push('</g>');
  if (points.length === 0) out.push(emptyNote(f, chart.emptyMessage));
  if (hasLegend)
    out.push(
      ...legend(
        f,
        chart.series.map((s) => s.label),
      ),
    );
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface BarChart {
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  /** In order along the x axis; a null value is drawn as no bar. */
  bars: readonly { label: string; value: number | null }[];
  emptyMessage: string;
}

export function barChartSvg(chart: BarChart): string {
  const f = frame(false);
  const values = chart.bars.map((b) => b.value).filter((v): v is number => v !== null);
  const [yMin, yMax] = domainTo(Math.max(0, ...values));
  const y = (v: number): number => f.y1 - ((v - yMin) / (yMax - yMin)) * (f.y1 - f.y0);
  const slot = (f.x1 - f.x0) / Math.max(1, chart.bars.length);
  const every = Math.ceil(chart.bars.length / MAX_BAR_LABELS);
  const description = `Bar chart, ${chart.bars.length} bars`;
  const out = [
    ...header(chart.title, chart.subtitle, description),
    ...axes(f, niceTicks(yMin, yMax), y, chart.xLabel, chart.yLabel),
    ...xTickMarks(
      f,
      chart.bars.flatMap((b, i) =>
        i % every === 0 ? [{ at: f.x0 + (i + 1 / 2) * slot, label: b.label }] : [],
      ),
    ),
    '</g>',
    '<g class="bars">',
  ];
  chart.bars.forEach((b, i) => {
    if (b.value === null) return;
    const top = y(b.value);
    out.push(
      `<rect x="${num(f.x0 + (i + BAR_GAP / 2) * slot)}" y="${num(top)}" width="${num(slot * (1 - BAR_GAP))}" height="${num(f.y1 - top)}" fill="${PALETTE[0]}"><title>${escapeXml(`${b.label}: ${b.value}`)}</title></rect>`,
    );
  });
  out.push('</g>');
  if (values.length === 0) out.push(emptyNote(f, chart.emptyMessage));
  out.push('</svg>');
  return out.join('\n') + '\n';
}
