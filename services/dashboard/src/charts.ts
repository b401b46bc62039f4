/** Bar charts with uPlot (bars are a path builder of uPlot's), each with a table of the same numbers for screen readers. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';

export interface Bar {
  label: string;
  value: number;
}

export function barChart(target: HTMLElement, title: string, bars: readonly Bar[], opts: { unit?: string; max?: number; color?: string } = {}): uPlot | null {
  if (bars.length === 0) {
    target.appendChild(h('p', { class: 'muted' }, `${title}: no data yet.`));
    return null;
  }
  const xs = bars.map((_, i) => i);
  const ys = bars.map((b) => b.value);
  const top = opts.max ?? Math.max(1, ...ys) * 1.15;
  const color = opts.color ?? '#3b6ea5';
  // Wide enough for a readable label per bar; many bars get slanted labels.
  const width = Math.max(320, Math.min(1100, bars.length * 44 + 90));
  const slanted = bars.length > 6;
  return new uPlot(
    {
      title,
      width,
      height: 240,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.6, bars.length - 0.4] }, y: { range: [0, top] } },
      axes: [
        { splits: () => xs, values: (_u, splits) => splits.map((i) => bars[i]?.label ?? ''), grid: { show: false }, rotate: slanted ? -45 : 0, size: slanted ? 70 : 40 },
        { values: (_u, splits) => splits.map((v) => `${Math.round(v * 100) / 100}${opts.unit ?? ''}`) },
      ],
      series: [{}, { label: title, fill: color, stroke: color, width: 1, paths: uPlot.paths.bars!({ size: [0.6, 80] }), points: { show: false } }],
    },
    [xs, ys],
    target,
  );
}
