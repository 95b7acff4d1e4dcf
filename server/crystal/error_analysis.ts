/**
 * Explains why a CRYSTAL run failed, with concrete fixes: the logic behind `jobs.analyze_errors`.
 * It combines the output parser's result with one scan of the lines for what the parser does not
 * keep (kill and memory messages from the runtime, MPI and the scheduler). Pure: no I/O.
 *
 * @module
 */
import {
  createOutputParser,
  type CrystalError,
  type CrystalOutput,
  type OutputStatus,
} from "./output_parser.ts";

/** The stable ids of the recognised failure patterns. */
export const ISSUE_PATTERNS = [
  "scf_not_converged",
  "inconsistent_itol_size",
  "optimization_not_converged",
  "killed_walltime",
  "out_of_memory",
  "basis_set_error",
  "input_error",
  "crystal_error",
  "no_output",
] as const;

/** One of {@link ISSUE_PATTERNS}. */
export type IssuePattern = typeof ISSUE_PATTERNS[number];

/** A recognised problem: where it shows (1-based line, when one line shows it) and what to do. */
export interface CrystalIssue {
  pattern: IssuePattern;
  line: number | null;
  message: string;
  suggestion: string;
}

/** The parser's status, or "running" when the caller says the job is still running. */
export type AnalysisStatus = OutputStatus | "running";

/** The result of {@link analyzeCrystalOutput}. */
export interface ErrorAnalysis {
  status: AnalysisStatus;
  issues: CrystalIssue[];
}

/** Options of {@link analyzeCrystalOutput}. */
export interface AnalyzeOptions {
  /** The job is still running: a missing termination line is then expected, not a failure. */
  isRunning?: boolean;
}

interface Evidence {
  line: number;
  text: string;
}

interface LineScan {
  tooManyCycles: Evidence | null;
  optFailed: Evidence | null;
  kill: Evidence | null;
  timeLimit: Evidence | null;
  memory: Evidence | null;
  signalNine: Evidence | null;
  usesGuessp: boolean;
  lastLine: number;
}

const MEMORY =
  /insufficient (?:virtual )?memory|out of memory|cannot allocate memory|oom[-_]kill|memory allocation failed|\bALLOCATE\b|allocation (?:failure|error)|mem \S+ exceeded limit|exceeded memory limit/i;
const SIGNAL_NINE = /signal 9\b|\(Killed\)|^\s*Killed\s*$|SIGKILL|EXIT CODE: 9\b/i;
const BASIS = /BASIS|BASSET|SHELL|EXPONENT|LINEAR(?:LY)? DEPENDEN|PSEUDO/;
const INPUT_ROUTINE = /^(?:INP|RDINP|READ|KEYW)/i;
const INPUT_MESSAGE = /KEYWORD|INPUT|ILLEGAL|NOT ALLOWED|UNKNOWN|END OF FILE|\bEOF\b/;

function evidence(line: number, text: string): Evidence {
  return { line, text: text.replace(/\s+/g, " ").trim() };
}

function scanLine(scan: LineScan, text: string, line: number): void {
  if (text.trim() === "") return;
  scan.lastLine = line;
  if (text.includes("TOO MANY CYCLES")) scan.tooManyCycles ??= evidence(line, text);
  else if (text.includes("OPT END - FAILED")) scan.optFailed ??= evidence(line, text);
  else if (text.includes("GUESSP")) scan.usesGuessp = true;
  if (text.includes("killed") || text.includes("KILLED")) scan.kill ??= evidence(line, text);
  if (text.includes("TIME LIMIT") || (text.includes("walltime") && text.includes("exceeded"))) {
    scan.timeLimit ??= evidence(line, text);
  }
  if (MEMORY.test(text)) scan.memory ??= evidence(line, text);
  else if (SIGNAL_NINE.test(text)) scan.signalNine ??= evidence(line, text);
}

function scfIssue(parsed: CrystalOutput, line: number | null, message: string): CrystalIssue {
  const max = parsed.scf.max_cycles;
  const isMetal = parsed.band_gap_ev === 0;
  const isUnrelaxed = parsed.warnings.some((warning) =>
    warning.message.includes("OPTIMIZE THE STRUCTURE")
  );
  return {
    pattern: "scf_not_converged",
    line,
    message,
    suggestion: (isMetal ? "The output reports a conducting state, so try smearing first. " : "") +
      (isUnrelaxed
        ? "The output also warns that the forces at the starting geometry are large: optimise " +
          "the structure (OPTGEOM) before this calculation. "
        : "") +
      "In the SCF block of the .d12 (after the basis set), try in turn:\n" +
      `- more cycles (the limit was ${max ?? "the default"}):\nMAXCYCLE\n${
        Math.max(200, 2 * (max ?? 0))
      }\n` +
      "- stronger damping, the percentage of the previous Fock/KS matrix kept (raise it if the " +
      "energy oscillates):\nFMIXING\n70\n" +
      "- a level shifter for insulators, with NODIIS since DIIS disables it (INFORMATION **** " +
      "DIIS **** LEVEL SHIFTER DISABLED):\nLEVSHIFT\n5 1\nNODIIS\n" +
      "- Fermi smearing (hartree) for metals and small-gap systems:\nSMEAR\n0.005\n" +
      "Check the syntax of LEVSHIFT, NODIIS and SMEAR in the manual of the installed version. " +
      "If the run wrote fort.9 (.f9), copy it to fort.20 and add GUESSP to start from its density",
  };
}

function optimizationIssue(
  parsed: CrystalOutput,
  line: number | null,
  message: string,
): CrystalIssue {
  const { steps, max_steps: max } = parsed.optimization;
  const isFlat = parsed.warnings.some((warning) => warning.message.includes("FLAT SURFACE"));
  return {
    pattern: "optimization_not_converged",
    line,
    message,
    suggestion: `The optimisation used ${steps} points of ${max ?? "the default limit"}. ` +
      `Allow more steps inside the OPTGEOM block:\nOPTGEOM\nMAXCYCLE\n${
        Math.max(200, 2 * (max ?? steps))
      }\nENDOPT\n` +
      "and restart from the last geometry: copy the fort.34 CRYSTAL wrote at the end (saved as .gui, or the last optcNNN) " +
      "to fort.34 and use EXTERNAL as the geometry keyword; or keep OPTINFO.DAT (and HESSOPT.DAT) and add RESTART " +
      "inside OPTGEOM to continue the same optimisation" +
      (isFlat
        ? ". The output reports a FLAT SURFACE: the energy no longer changes, so check the structure or loosen TOLDEG/TOLDEX"
        : ""),
  };
}

function errorIssue(parsed: CrystalOutput, error: CrystalError, usesGuessp: boolean): CrystalIssue {
  const { routine, message, line } = error;
  const where = `ERROR **** ${routine} **** ${message}`;
  if (message.includes("ITOL")) {
    return {
      pattern: "inconsistent_itol_size",
      line,
      message: `CRYSTAL stopped in ${routine}: ${message}`,
      suggestion: (usesGuessp
        ? "The run reads its guess with GUESSP: the density matrix in fort.20 was computed with other integral " +
          "tolerances (or another geometry or basis set). Use the TOLINTEG of the run that wrote fort.20, or drop GUESSP. "
        : "") +
        "Check the TOLINTEG line in the SCF block: five integers, for example\nTOLINTEG\n7 7 7 7 14",
    };
  }
  if (routine === "OPTGEOM" && message.includes("SCF")) {
    return scfIssue(
      parsed,
      line,
      `The SCF of a displaced or strained geometry failed (its cycles are in SCFOUT.LOG): ${where}`,
    );
  }
  if (message.includes("GEOMETRY OPTIMIZATION FAILED")) {
    return optimizationIssue(parsed, line, `Geometry optimisation failed: ${where}`);
  }
  if (MEMORY.test(message)) return memoryIssue(line, where);
  if (BASIS.test(message) || BASIS.test(routine)) {
    return {
      pattern: "basis_set_error",
      line,
      message: `Basis set problem in ${routine}: ${message}`,
      suggestion:
        'Check the basis-set block: a "NAT NSHELL" line per atom type, "ITYB LAT NG CHE SCAL" per shell ' +
        'followed by NG primitive lines when ITYB is 0, the list closed by "99 0" and the block by END (or ENDBS). ' +
        "With BASISSET, check the library name against the manual of the installed version. For a linearly dependent " +
        "basis, remove the most diffuse primitives (exponents below about 0.1)",
    };
  }
  if (INPUT_ROUTINE.test(routine) || INPUT_MESSAGE.test(message)) {
    return {
      pattern: "input_error",
      line,
      message: `CRYSTAL rejected the input in ${routine}: ${message}`,
      suggestion:
        "Check the deck near the keyword named: upper-case keywords one per line, their numbers on the " +
        "following line, and every block closed by END (ENDG, ENDBS, ENDSCF). The lines just above the error in the " +
        "output echo what CRYSTAL read last",
    };
  }
  return {
    pattern: "crystal_error",
    line,
    message: `CRYSTAL stopped in ${routine}: ${message}`,
    suggestion:
      `Look up "${message}" and the routine ${routine} in the CRYSTAL manual; the lines above it in the ` +
      "output show the step that failed",
  };
}

function memoryIssue(line: number | null, text: string, isSignalOnly = false): CrystalIssue {
  return {
    pattern: "out_of_memory",
    line,
    message: isSignalOnly
      ? `The job was killed by signal 9 (${text}): usually the out-of-memory killer or a memory limit`
      : `The job ran out of memory: ${text}`,
    suggestion:
      "Give each MPI rank more memory (#SBATCH --mem-per-cpu) or run fewer ranks per node; for large cells " +
      "use MPPcrystal (distributed data) instead of Pcrystal. Smaller BIPOSIZE/EXCHSIZE buffers also lower the " +
      "footprint. The scheduler's accounting (sacct MaxRSS) confirms the peak",
  };
}

function walltimeIssue(parsed: CrystalOutput, scan: LineScan): CrystalIssue {
  const clue = scan.timeLimit ?? scan.kill;
  const restart = parsed.calculation === "optimization"
    ? "To continue the optimisation, keep OPTINFO.DAT (and HESSOPT.DAT) and add RESTART inside OPTGEOM, or start " +
      "from the last geometry (the last optcNNN copied to fort.34, with EXTERNAL)"
    : parsed.calculation === "frequency"
    ? "To continue the frequencies, keep FREQINFO.DAT and add RESTART inside FREQCALC"
    : "If fort.9 (.f9) was written, copy it to fort.20 and add GUESSP to restart the SCF from it";
  const progress = parsed.optimization.requested
    ? ` during optimisation point ${parsed.optimization.steps}`
    : parsed.progress.scf_cycle !== null
    ? ` during SCF cycle ${parsed.progress.scf_cycle}`
    : "";
  return {
    pattern: "killed_walltime",
    line: clue?.line ?? (scan.lastLine > 0 ? scan.lastLine : null),
    message: `The output ends without a TERMINATION line${progress}` +
      (clue ? ` after "${clue.text}"` : "") + ": the job was killed, most likely at its walltime",
    suggestion:
      `Ask for more walltime (#SBATCH --time) or restart from where it stopped. ${restart}`,
  };
}

function collectIssues(parsed: CrystalOutput, scan: LineScan, isRunning: boolean): CrystalIssue[] {
  const issues: CrystalIssue[] = [];
  const add = (issue: CrystalIssue): void => {
    const isSingleton = issue.pattern !== "crystal_error" && issue.pattern !== "basis_set_error" &&
      issue.pattern !== "input_error";
    if (isSingleton && issues.some((known) => known.pattern === issue.pattern)) return;
    issues.push(issue);
  };
  if (scan.tooManyCycles) {
    add(scfIssue(parsed, scan.tooManyCycles.line, `SCF not converged: ${scan.tooManyCycles.text}`));
  }
  if (scan.optFailed) {
    add(
      optimizationIssue(
        parsed,
        scan.optFailed.line,
        `Geometry optimisation not converged: ${scan.optFailed.text}`,
      ),
    );
  }
  for (const error of parsed.errors) add(errorIssue(parsed, error, scan.usesGuessp));
  if (scan.memory) add(memoryIssue(scan.memory.line, scan.memory.text));
  const isStopped = !isRunning && parsed.termination === "none";
  if (isStopped && parsed.status !== "unknown") {
    if (scan.signalNine && !scan.timeLimit) {
      add(memoryIssue(scan.signalNine.line, scan.signalNine.text, true));
    } else if (!scan.memory) add(walltimeIssue(parsed, scan));
  }
  if (!isRunning && parsed.status === "unknown") {
    add({
      pattern: "no_output",
      line: null,
      message: "The output holds no CRYSTAL text",
      suggestion:
        "Check the job's .err file and that the executable starts: the configured crystal executable " +
        "(or CRY23_EXEDIR) must exist, serial crystal reads the deck on stdin and Pcrystal reads it from INPUT",
    });
  }
  return issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/** Recognises the common CRYSTAL failures in an output and suggests concrete fixes. */
export function analyzeCrystalOutput(text: string, options: AnalyzeOptions = {}): ErrorAnalysis {
  const parser = createOutputParser();
  const scan: LineScan = {
    tooManyCycles: null,
    optFailed: null,
    kill: null,
    timeLimit: null,
    memory: null,
    signalNine: null,
    usesGuessp: false,
    lastLine: 0,
  };
  const lines = text.split("\n");
  const end = lines[lines.length - 1] === "" ? lines.length - 1 : lines.length;
  for (let i = 0; i < end; i++) {
    const line = lines[i]!;
    parser.pushLine(line);
    scanLine(scan, line, i + 1);
  }
  const parsed = parser.result();
  const isRunning = options.isRunning ?? false;
  return {
    status: isRunning ? "running" : parsed.status,
    issues: collectIssues(parsed, scan, isRunning),
  };
}
