/**
 * A small, deterministic SVG line plot: axes with d3-scale's ticks, d3-shape's paths, markers,
 * a shaded band and a legend. The same data always gives the same bytes (fixed decimals, no ids,
 * no clock), so golden files test it. Pure.
 *
 * @module
 */
// @ts-types="@types/d3-scale"
import { scaleLinear } from "d3-scale";
// @ts-types="@types/d3-shape"
import { line } from "d3-shape";
import { type BandsPlotSpec, renderBandsPlot } from "./bands_plot.ts";
import { esc, f, HEIGHT, leftTicks, svgStart, WIDTH } from "./svg_parts.ts";

/** One series: drawn as a line, as point markers, or both. */
export interface Series {
  label: string;
  points: readonly (readonly [number, number])[];
  style: "line" | "points";
  color: string;
}

/** A vertical marker line with a label (V0, a converged value). */
export interface Marker {
  x: number;
  label: string;
}

/** What a plot shows. */
export interface PlotSpec {
  title: string;
  x_label: string;
  y_label: string;
  series: readonly Series[];
  markers?: readonly Marker[];
  /** A horizontal band from y0 to y1 (a threshold). */
  band?: { y0: number; y1: number; label: string };
  /** x positions of the category ticks, with their labels (a scan of names), instead of numbers. */
  x_ticks?: readonly { x: number; label: string }[];
}

const MARGIN = { top: 40, right: 24, bottom: 56, left: 96 };

function extent(values: readonly number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.05 || 1;
    lo -= pad, hi += pad;
  }
  return [lo, hi];
}

/** Renders `spec` (or a band structure, bands_plot.ts) as a standalone SVG document. */
export function renderPlot(spec: PlotSpec | BandsPlotSpec): string {
  if ("kind" in spec) return renderBandsPlot(spec);
  const xs = [
    ...spec.series.flatMap((s) => s.points.map((p) => p[0])),
    ...(spec.markers ?? []).map((m) => m.x),
  ];
  const ys = [
    ...spec.series.flatMap((s) => s.points.map((p) => p[1])),
    ...(spec.band ? [spec.band.y0, spec.band.y1] : []),
  ];
  const x = scaleLinear().domain(extent(xs)).range([MARGIN.left, WIDTH - MARGIN.right]).nice();
  const y = scaleLinear().domain(extent(ys)).range([HEIGHT - MARGIN.bottom, MARGIN.top]).nice();
  const [x0, x1] = x.range() as [number, number];
  const [y0, y1] = y.range() as [number, number];
  const out: string[] = [
    ...svgStart(spec.title),
  ];
  if (spec.band) {
    const top = y(Math.max(spec.band.y0, spec.band.y1));
    const bottom = y(Math.min(spec.band.y0, spec.band.y1));
    out.push(
      `<rect x="${f(x0)}" y="${f(top)}" width="${f(x1 - x0)}" height="${f(bottom - top)}" ` +
        `fill="#2ca02c" fill-opacity="0.15"><title>${esc(spec.band.label)}</title></rect>`,
    );
  }
  // Axes and ticks.
  out.push(
    `<path d="M${f(x0)},${f(y0)}H${f(x1)}M${f(x0)},${f(y0)}V${f(y1)}" stroke="black" fill="none"/>`,
  );
  const xTicks = spec.x_ticks ??
    x.ticks(6).map((t) => ({ x: t, label: x.tickFormat(6)(t) }));
  for (const tick of xTicks) {
    const px = f(x(tick.x));
    out.push(
      `<path d="M${px},${f(y0)}v5" stroke="black"/>`,
      `<text x="${px}" y="${f(y0 + 18)}" text-anchor="middle">${esc(tick.label)}</text>`,
    );
  }
  out.push(...leftTicks(y, x0, 6));
  out.push(
    `<text x="${f((x0 + x1) / 2)}" y="${f(HEIGHT - 14)}" text-anchor="middle">${
      esc(spec.x_label)
    }</text>`,
    `<text transform="translate(18,${f((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${
      esc(spec.y_label)
    }</text>`,
  );
  for (const marker of spec.markers ?? []) {
    const px = f(x(marker.x));
    out.push(
      `<path d="M${px},${f(y0)}V${f(y1)}" stroke="#d62728" stroke-dasharray="4 3"/>`,
      `<text x="${px}" y="${f(y1 - 4)}" text-anchor="middle" fill="#d62728">${
        esc(marker.label)
      }</text>`,
    );
  }
  const path = line<readonly [number, number]>().x((p) => x(p[0])).y((p) => y(p[1]))
    .digits(2);
  spec.series.forEach((series, i) => {
    if (series.style === "line") {
      out.push(`<path d="${path(series.points)}" stroke="${series.color}" fill="none"/>`);
    } else {
      for (const [px, py] of series.points) {
        out.push(`<circle cx="${f(x(px))}" cy="${f(y(py))}" r="3.5" fill="${series.color}"/>`);
      }
    }
    const ly = MARGIN.top + 8 + 16 * i;
    out.push(
      `<rect x="${f(x1 - 150)}" y="${f(ly - 5)}" width="10" height="10" fill="${series.color}"/>`,
      `<text x="${f(x1 - 134)}" y="${f(ly)}" dominant-baseline="middle">${
        esc(series.label)
      }</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
