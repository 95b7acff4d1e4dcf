/**
 * The pieces every plot writes the same way: the one number format, text escaping, and the
 * labelled ticks of a value axis on the left.
 *
 * @module
 */

/** Every plot's page, in px. */
export const WIDTH = 640;
export const HEIGHT = 400;

/** Fixed decimals: the one number format of every plot. */
export function f(value: number): string {
  const text = value.toFixed(2);
  return text === "-0.00" ? "0.00" : text;
}

/** Escapes text for an SVG text node or attribute. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The opening of a plot document: the svg element (xmlns, viewBox), a white page, the title. */
export function svgStart(title: string): string[] {
  const [width, height] = [WIDTH, HEIGHT];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" ` +
    `height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${f(width / 2)}" y="24" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
}

/** The scale a value axis needs: d3-scale's linear scale fits. */
export interface TickScale {
  (value: number): number;
  ticks(count: number): number[];
  tickFormat(count: number): (value: number) => string;
}

/** About `count` ticks of `y`, each a 5 px mark left of `left` with its label. */
export function leftTicks(y: TickScale, left: number, count: number): string[] {
  const format = y.tickFormat(count);
  return y.ticks(count).flatMap((t) => {
    const py = f(y(t));
    return [
      `<path d="M${f(left)},${py}h-5" stroke="black"/>`,
      `<text x="${f(left - 8)}" y="${py}" text-anchor="end" dominant-baseline="middle">${
        esc(format(t))
      }</text>`,
    ];
  });
}
