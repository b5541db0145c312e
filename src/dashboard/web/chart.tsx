// Charts, drawn by uPlot (canvas, ~50 kB, fast on tens of thousands of points): a component that
// owns one plot sized to its box, and builders for the dashboard's kinds: bars stacked by series
// (cost per day by model, tokens by kind) and lines over time (limits, context, a session's
// cost). Days are drawn as UTC midnights labelled in UTC, so a local day keeps its own date.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export const PALETTE = ['#c15f3c', '#3c7dc1', '#5aa55a', '#b08a2e', '#8a5ac1', '#c13c7d', '#3ca5a5', '#7d7d7d'];

export interface ChartSpec {
  opts: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
}

/** One plot; rebuilt when `spec` changes identity (views memoise it on their data). */
export function Chart({ spec, height = 220, label }: { spec: ChartSpec; height?: number; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const plot = new uPlot({ ...spec.opts, width: Math.max(el.clientWidth, 200), height }, spec.data, el);
    const resize = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientWidth !== plot.width) plot.setSize({ width: el.clientWidth, height });
    });
    resize.observe(el);
    el.dataset.drawn = 'true';
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [spec, height]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}

/** 'YYYY-MM-DD' as the UTC midnight, in seconds (uPlot's time unit). */
export const daySeconds = (day: string): number => Date.parse(`${day}T00:00:00Z`) / 1000;
export const isoSeconds = (iso: string): number => Date.parse(iso) / 1000;

const utcDate = (ts: number): Date => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

const fromZero = (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.08 : 1];

const axisColor = { stroke: '#777', grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' } };

/**
 * Bars per day, stacked: `series[i][d]` is series i's value on day d. uPlot draws each bar to its
 * running total, tallest first, so every part shows; the legend shows each part's own value.
 */
export function stackedDays(
  days: string[],
  series: Array<{ label: string; values: number[] }>,
  fmt: (v: number) => string,
  axisFmt?: (v: number) => string,
): ChartSpec {
  const xs = days.map(daySeconds);
  const cum: number[][] = [];
  series.forEach((s, i) => cum.push(s.values.map((v, d) => v + (i > 0 ? cum[i - 1]![d]! : 0))));
  const order = series.map((_, i) => series.length - 1 - i); // tallest (last running total) first
  const bars = uPlot.paths.bars!({ size: [0.7, 48], align: 0 });
  // A label every `step` days, under its bar: the date alone (with the year when the range spans two).
  const step = Math.max(1, Math.ceil(days.length / 12));
  const withYear = days.length > 0 && days[0]!.slice(0, 4) !== days.at(-1)!.slice(0, 4);
  const dayLabel = (t: number): string => new Date(t * 1000).toISOString().slice(withYear ? 0 : 5, 10);
  return {
    data: [xs, ...order.map((i) => cum[i]!)],
    opts: {
      tzDate: utcDate,
      // Half a day each side of the first and last bars; amounts from 0.
      scales: {
        x: { time: true, range: () => [(xs[0] ?? 0) - 43_200, (xs.at(-1) ?? 0) + 43_200] },
        y: { range: fromZero },
      },
      axes: [
        { ...axisColor, splits: () => xs.filter((_, i) => i % step === 0), values: (_u, ticks) => ticks.map(dayLabel) },
        { ...axisColor, size: 64, values: (_u, ticks) => ticks.map(axisFmt ?? fmt) },
      ],
      legend: { live: true },
      cursor: { points: { show: false } },
      series: [
        { label: 'Day', value: '{YYYY}-{MM}-{DD}' },
        ...order.map((i) => ({
          label: series[i]!.label,
          stroke: PALETTE[i % PALETTE.length],
          fill: PALETTE[i % PALETTE.length],
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number, _si: number, idx: number | null) => (idx === null ? '–' : fmt(series[i]!.values[idx] ?? 0)),
        })),
      ],
    },
  };
}

export interface LineSeries {
  label: string;
  values: Array<number | null>;
  /** The y scale: 'y' (left axis) or 'y2' (right axis). */
  scale?: 'y' | 'y2';
  /** Drawn as points only, or as thin bars, instead of a line. */
  points?: boolean;
  bars?: boolean;
}

/** Lines over time in the time zone: up to two y axes, with their formats. */
export function linesOverTime(
  times: number[],
  series: LineSeries[],
  tz: string,
  fmt: (v: number) => string,
  fmt2: (v: number) => string = fmt,
  yRange?: [number, number],
  /** The x window in seconds (the range asked for); default the data's span, an hour each side of a single point. */
  xWindow?: [number | null, number | null],
): ChartSpec {
  const hasY2 = series.some((s) => s.scale === 'y2');
  const xRange = (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => {
    const lo = xWindow?.[0] ?? (min === max ? min - 3600 : min);
    const hi = xWindow?.[1] ?? (min === max ? max + 3600 : max);
    return [lo, Math.max(hi, lo + 1)];
  };
  return {
    data: [times, ...series.map((s) => s.values)] as uPlot.AlignedData,
    opts: {
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
      // Amounts start at 0 (a cost axis that starts at $0.0200 exaggerates); percentages at 0-100.
      scales: { x: { time: true, range: xRange }, y: { range: yRange ?? fromZero }, y2: { range: fromZero } },
      axes: [
        { ...axisColor },
        { ...axisColor, size: 72, values: (_u, ticks) => ticks.map(fmt) },
        ...(hasY2 ? [{ ...axisColor, scale: 'y2', side: 1, size: 72, grid: { show: false }, values: (_u: uPlot, ticks: number[]) => ticks.map(fmt2) }] : []),
      ],
      series: [
        { label: 'Time', value: '{YYYY}-{MM}-{DD} {HH}:{mm}' },
        ...series.map((s, i) => ({
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: true,
          points: { show: s.points ?? times.length < 60, size: s.points ? 5 : 4, fill: PALETTE[i % PALETTE.length] },
          ...(s.points ? { paths: uPlot.paths.points!() } : {}),
          ...(s.bars ? { paths: uPlot.paths.bars!({ size: [0.8, 14], align: 1 }), fill: PALETTE[i % PALETTE.length], points: { show: false } } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : s.scale === 'y2' ? fmt2(v) : fmt(v)),
        })),
      ],
    },
  };
}
