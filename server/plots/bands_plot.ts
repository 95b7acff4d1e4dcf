/**
 * A deterministic SVG of a band structure: E − E_F (eV) along the k-path with a vertical line
 * and a label at each special point, the Fermi level dashed, the band edges marked, and the
 * density of states in a panel beside it when there is one. Same data, same bytes: fixed
 * decimals, one fixed clip id, no clock. Pure.
 *
 * @module
 */
// @ts-types="@types/d3-scale"
import { scaleLinear } from "d3-scale";
// @ts-types="@types/d3-shape"
import { line } from "d3-shape";
import { esc, f, HEIGHT, leftTicks, svgStart } from "./svg_parts.ts";

/** What a bands plot shows. */
export interface BandsPlotSpec {
  kind: "bands";
  title: string;
  /** Polylines of (path coordinate, E − E_F in eV); a line breaks where the path does. */
  lines: readonly {
    points: readonly (readonly [number, number])[];
    spin: "alpha" | "beta" | null;
  }[];
  /** The special points along the path. */
  ticks: readonly { x: number; label: string }[];
  /** The energy window, eV relative to E_F. */
  y_range: readonly [number, number];
  /** The valence band maximum and conduction band minimum, as (x, E − E_F). */
  edges?: readonly { x: number; y: number; label: string }[];
  /** The total DOS, states per eV per cell, against E − E_F. */
  dos?: { energies_ev: readonly number[]; states_per_ev: readonly number[] } | null;
}

const TOP = 40;
const BOTTOM = 344;
const LEFT = 72;
const BANDS_RIGHT_WITH_DOS = 468;
const DOS_LEFT = 484;
const RIGHT = 616;

/** The Greek letter CRYSTAL's label G stands for. */
function shown(label: string): string {
  return label.split("|").map((l) => l === "G" ? "Γ" : l).join("|");
}

/** Renders `spec` as a standalone SVG document. */
export function renderBandsPlot(spec: BandsPlotSpec): string {
  const hasDos = (spec.dos?.energies_ev.length ?? 0) > 0;
  const right = hasDos ? BANDS_RIGHT_WITH_DOS : RIGHT;
  const xs = spec.ticks.map((t) => t.x);
  const x = scaleLinear().domain([Math.min(...xs), Math.max(...xs)]).range([LEFT, right]);
  const y = scaleLinear().domain([spec.y_range[0], spec.y_range[1]]).range([BOTTOM, TOP]);
  const out: string[] = [
    ...svgStart(spec.title),
    `<clipPath id="bands-window"><rect x="${f(LEFT)}" y="${f(TOP)}" width="${f(right - LEFT)}" ` +
    `height="${f(BOTTOM - TOP)}"/></clipPath>`,
    `<path d="M${f(LEFT)},${f(TOP)}V${f(BOTTOM)}H${f(right)}V${f(TOP)}Z" stroke="black" ` +
    `fill="none"/>`,
  ];
  for (const tick of spec.ticks) {
    const px = f(x(tick.x));
    out.push(
      `<path d="M${px},${f(TOP)}V${f(BOTTOM)}" stroke="#999999"/>`,
      `<text x="${px}" y="${f(BOTTOM + 18)}" text-anchor="middle">${esc(shown(tick.label))}</text>`,
    );
  }
  out.push(...leftTicks(y, LEFT, 8));
  out.push(
    `<text x="${f((LEFT + right) / 2)}" y="${
      f(HEIGHT - 14)
    }" text-anchor="middle">Wave vector</text>`,
    `<text transform="translate(18,${f((TOP + BOTTOM) / 2)}) rotate(-90)" text-anchor="middle">` +
      "E - E_F (eV)</text>",
    `<path d="M${f(LEFT)},${f(y(0))}H${f(hasDos ? RIGHT : right)}" stroke="#d62728" ` +
      `stroke-dasharray="4 3"/>`,
  );
  const path = line<readonly [number, number]>().x((p) => x(p[0])).y((p) => y(p[1])).digits(2);
  out.push('<g clip-path="url(#bands-window)" fill="none">');
  for (const band of spec.lines) {
    const color = band.spin === "beta" ? "#ff7f0e" : "#1f77b4";
    const dash = band.spin === "beta" ? ' stroke-dasharray="3 2"' : "";
    out.push(`<path d="${path(band.points)}" stroke="${color}"${dash}/>`);
  }
  out.push("</g>");
  for (const edge of spec.edges ?? []) {
    out.push(
      `<circle cx="${f(x(edge.x))}" cy="${f(y(edge.y))}" r="4" fill="#2ca02c">` +
        `<title>${esc(edge.label)}</title></circle>`,
    );
  }
  if (hasDos) out.push(...dosPanel(spec.dos!, y));
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** The DOS beside the bands, on the same energy axis. */
function dosPanel(
  dos: NonNullable<BandsPlotSpec["dos"]>,
  y: ReturnType<typeof scaleLinear<number, number>>,
): string[] {
  const [lo, hi] = y.domain() as [number, number];
  const points = dos.energies_ev.map((e, i) => [dos.states_per_ev[i]!, e] as const)
    .filter(([, e]) => e >= lo && e <= hi);
  const max = Math.max(...points.map(([d]) => d), 0) || 1;
  const x = scaleLinear().domain([0, max]).range([DOS_LEFT, RIGHT]).nice();
  const path = line<readonly [number, number]>().x((p) => x(p[0])).y((p) => y(p[1])).digits(2);
  return [
    `<path d="M${f(DOS_LEFT)},${f(TOP)}V${f(BOTTOM)}H${f(RIGHT)}V${f(TOP)}Z" stroke="black" ` +
    `fill="none"/>`,
    `<path d="${path(points)}" stroke="#1f77b4" fill="none"/>`,
    `<text x="${f((DOS_LEFT + RIGHT) / 2)}" y="${f(HEIGHT - 14)}" text-anchor="middle">` +
    "DOS (states/eV)</text>",
  ];
}
