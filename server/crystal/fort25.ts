/**
 * Reader of the `fort.25` plot file that CRYSTAL's properties writes for BAND and DOSS (the
 * "Crgra" format). Each record starts with a `-%-` header line:
 *
 * - BAND: `-%-<IHFERM>BAND<NBAND:I5><NKP:I5><0:E12.5><DK:E12.5><EFERMI:E12.5>`, then EMIN EMAX,
 *   then six integers (the segment's ends in CRYSTAL's k units), then NKP × NBAND energies,
 *   k-point by k-point. One record per path segment, and per spin (alpha first) when open shell.
 * - DOSS: `-%-<IHFERM>DOSS<1:I5><NPTS:I5><0:E12.5><DE:E12.5><EFERMI:E12.5>`, then `0 E0`, then
 *   six integers (the projection's index first), then NPTS values. One record per projection,
 *   the total last, and per spin.
 *
 * Energies are in Hartree, DOS in states per Hartree per cell, as CRYSTAL writes them; values
 * are E12.5 and may touch (`-1.47330E-01-4.84740E+01`), so numbers are read by pattern, not by
 * splitting on blanks. Format as read by aiida-crystal-dft `io/f25.py` and checked against the
 * properties outputs of the shared fixtures (out_mgo.outp: "1378 DATA WRITTEN ON UNIT 25" for 26
 * bands × 53 k-points). Pure.
 *
 * @module
 */

/** One BAND record: one segment of the path (for one spin). */
export interface BandRecord {
  /** 0 closed shell insulator, 1 open shell insulator, 2 closed shell conductor, 3 open shell conductor. */
  ihferm: number;
  nbands: number;
  nk: number;
  /** The k-step along the segment (bohr⁻¹). */
  dk: number;
  fermi_ha: number;
  /** The segment's ends in CRYSTAL's integer k units. */
  from: number[];
  to: number[];
  /** energies[k][band], Hartree. */
  energies: number[][];
}

/** One DOSS record: one projection (the total last) for one spin. */
export interface DosRecord {
  ihferm: number;
  npts: number;
  /** The energy step, Hartree. */
  de: number;
  fermi_ha: number;
  /** The energy of the first point, Hartree. */
  e0: number;
  /** The projection's number (1 for the first; the total comes last). */
  projection: number;
  /** States per Hartree per cell. */
  values: number[];
}

/** What a fort.25 holds. */
export interface Fort25 {
  bands: BandRecord[];
  dos: DosRecord[];
}

/** A fort.25 that cannot be read, with the 1-based line. */
export class Fort25Error extends SyntaxError {
  override name = "Fort25Error";
  constructor(readonly line: number, readonly reason: string) {
    super(`fort.25 line ${line}: ${reason}`);
  }
}

const REAL = /[-+]?\d*\.\d+(?:[EeDd][-+]?\d+)?/g;
const INTEGER = /-?\d+/g;

function reals(text: string): number[] {
  return (text.match(REAL) ?? []).map((t) => Number(t.replace(/[Dd]/, "E")));
}

/** Reads every BAND and DOSS record; other records (maps, ECHG) are skipped. */
export function parseFort25(text: string): Fort25 {
  const lines = text.split(/\r?\n/);
  const out: Fort25 = { bands: [], dos: [] };
  let i = 0;
  while (i < lines.length) {
    const header = lines[i]!;
    if (!header.startsWith("-%-")) {
      i++;
      continue;
    }
    const start = i + 1;
    const type = header.slice(4, 8);
    const ihferm = Number(header.charAt(3));
    // Two I5 fields, which touch when the second has five digits ("    125002").
    const [first, second] = [header.slice(8, 13), header.slice(13, 18)].map((t) =>
      /^\s*\d+$/.test(t) ? Number(t) : undefined
    );
    const [, step = NaN, fermi = NaN] = reals(header.slice(18));
    if (first === undefined || second === undefined || !Number.isFinite(fermi)) {
      throw new Fort25Error(start, `unreadable record header "${header.trim()}"`);
    }
    const limits = reals(lines[i + 1] ?? "");
    const ends = (lines[i + 2] ?? "").match(INTEGER)?.map(Number) ?? [];
    if (limits.length < 2 || ends.length < 6) {
      throw new Fort25Error(start + 1, `the ${type} record header is incomplete`);
    }
    i += 3;
    const values: number[] = [];
    while (i < lines.length && !lines[i]!.startsWith("-%-")) values.push(...reals(lines[i++]!));
    if (type === "BAND") {
      const [nbands, nk] = [first, second];
      if (values.length < nbands * nk) {
        throw new Fort25Error(
          start,
          `a BAND record of ${nk} k-points × ${nbands} bands has ` +
            `${values.length} values`,
        );
      }
      const energies = Array.from(
        { length: nk },
        (_, k) => values.slice(k * nbands, (k + 1) * nbands),
      );
      out.bands.push({
        ihferm,
        nbands,
        nk,
        dk: step,
        fermi_ha: fermi,
        from: ends.slice(0, 3),
        to: ends.slice(3, 6),
        energies,
      });
    } else if (type === "DOSS") {
      const npts = second;
      if (values.length < npts) {
        throw new Fort25Error(start, `a DOSS record of ${npts} points has ${values.length} values`);
      }
      out.dos.push({
        ihferm,
        npts,
        de: step,
        fermi_ha: fermi,
        e0: limits[1]!,
        projection: ends[0]!,
        values: values.slice(0, npts),
      });
    }
  }
  return out;
}
