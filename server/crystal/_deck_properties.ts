/**
 * The `.d3` properties deck check: known top-level keywords, BAND's title and segments, and map
 * options closed by END. Private to `server/crystal/`.
 *
 * @module
 */
import {
  type Cursor,
  fail,
  failExpected,
  integersOf,
  isDataLine,
  isTerminator,
  keywordOf,
  peekLine,
  quote,
  type SourceLine,
  takeDataLines,
  takeLine,
  tokensOf,
} from "./_deck_lines.ts";
import { isBandToken } from "./band_window.ts";

/** Keywords a `.d3` deck may use at top level (CRYSTAL properties). */
const PROPERTIES_KEYWORDS = new Set((
  "ADFT ANBD ANISOTRO ATOMIRR BAND BIDIERD BOLTZTRA BWIDTH CHARGE CLAS COMMENS CRYAPI_OUT DIEL " +
  "DOSS ECH3 ECHG EDFT EMDL EMDLDM EMDP FMWF INFOGUI ISO KINETEMD LOCALWF MAXNEIGHB NEWK " +
  "NOSYMADA PATO PBAN PDIDE PGEOMW POLI POT3 POTC POTM PPAN PROF RDFMWF RHOLINE SETINF " +
  "SPOLBP SPOLWF STOP SYMADAPT TOPO XFAC"
).split(" "));
/** Options of a 2D map (ECHG, POTM ...), closed by their own END. */
const MAP_OPTIONS = new Set("ANGSTROM BOHR COORDINA FRACTION MARGINS PRINT RECTANGU".split(" "));

/** Reads the top-level keywords of a properties deck up to its closing END. */
export function readPropertiesKeywords(cursor: Cursor): string[] {
  const keywords: string[] = [];
  for (;;) {
    const line = takeLine(cursor);
    if (line === undefined) failExpected(cursor.endLine, "END to close the properties deck");
    if (isTerminator(line)) return keywords;
    const name = keywordOf(line);
    if (name === "") failExpected(line, "a properties keyword");
    if (!PROPERTIES_KEYWORDS.has(name)) {
      fail(line.number, `unknown properties keyword ${quote(line)}`);
    }
    if (name === "BAND") readBand(cursor);
    takeDataLines(cursor);
    const option = peekLine(cursor);
    if (option !== undefined && MAP_OPTIONS.has(keywordOf(option))) readMapOptions(cursor, line);
    keywords.push(name);
  }
}

function readBand(cursor: Cursor): void {
  const title = takeLine(cursor);
  if (title === undefined) failExpected(cursor.endLine, "a title after BAND");
  const header = takeLine(cursor);
  // INZB and IFNB may be band tokens, placed by the SCF output before properties runs.
  const shape = header &&
    tokensOf(header.text).map((word, i) => (i === 3 || i === 4) && isBandToken(word) ? "1" : word)
      .join(" ");
  const values = integersOf(shape, 7);
  if (values === null) {
    failExpected(header ?? cursor.endLine, "NLINE ISS NSUB INZB IFNB IPLO LPR after BAND");
  }
  const [lineCount = 0, iss = 0] = values;
  for (let i = 1; i <= lineCount; i++) {
    const segment = takeLine(cursor);
    const isValid = segment !== undefined &&
      (iss > 0 ? integersOf(segment.text, 6) !== null : tokensOf(segment.text).length >= 2);
    const expected = iss > 0 ? "6 integers" : "2 point labels";
    if (!isValid) {
      failExpected(segment ?? cursor.endLine, `BAND segment ${i} of ${lineCount} as ${expected}`);
    }
  }
}

function readMapOptions(cursor: Cursor, opener: SourceLine): void {
  const what = `END to close the map options of ${keywordOf(opener)} on line ${opener.number}`;
  for (;;) {
    const line = takeLine(cursor);
    if (line !== undefined && isTerminator(line)) return;
    if (line === undefined || (!isDataLine(line) && !MAP_OPTIONS.has(keywordOf(line)))) {
      failExpected(line ?? cursor.endLine, what);
    }
  }
}
