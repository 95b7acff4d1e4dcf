/**
 * The pieces every plot writes the same way: the one number format, text escaping, and the
 * labelled ticks of a value axis on the left.
 *
 * @module
 */

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
