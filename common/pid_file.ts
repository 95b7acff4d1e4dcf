/** Reads the pid recorded in a pid file, or undefined when it is absent or holds no pid. */
export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(Deno.readTextFileSync(path).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // Absent or unreadable: there is no pid to report.
  }
}
