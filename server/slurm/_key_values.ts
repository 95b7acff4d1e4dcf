/**
 * Splitting a `scontrol show job -o` record into keys and values, where names, paths and comments
 * may hold spaces.
 *
 * @module
 */
import { words } from "./_fields.ts";

/** Keys whose values may hold spaces (names, paths, free text): only a known key ends them. */
const FREE_TEXT_KEYS: ReadonlySet<string> = new Set(words(`
  JobName Command WorkDir StdOut StdErr StdIn Comment AdminComment SystemComment SubmitLine
  Container ContainerID MailUser
`));

/** Keys scontrol prints (22.05 and later); a free-text value ends only where one of these starts. */
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  ...FREE_TEXT_KEYS,
  ...words(`
  JobId ArrayJobId ArrayTaskId ArrayTaskThrottle HetJobId HetJobOffset HetJobIdSet UserId GroupId
  MCS_label Priority Nice Account QOS WCKey JobState Reason Dependency Requeue Restarts BatchFlag
  Reboot ExitCode DerivedExitCode RunTime TimeLimit TimeMin SubmitTime EligibleTime AccrueTime
  StartTime EndTime Deadline PreemptEligibleTime PreemptTime SuspendTime SecsPreSuspend
  LastSchedEval ResizeTime Scheduler Partition AllocNode:Sid ReqNodeList ExcNodeList NodeList
  SchedNodeList BatchHost NumNodes NumCPUs NumTasks CPUs/Task ReqB:S:C:T ReqTRES AllocTRES TRES
  Socks/Node NtasksPerN:B:S:C CoreSpec ThreadSpec MinCPUsNode MinMemoryNode MinMemoryCPU
  MinTmpDiskNode Features ClusterFeatures Prefer DelayBoot OverSubscribe Contiguous Licenses
  LicensesAlloc Network Power Reservation BurstBuffer BurstBufferState CpusPerTres MemPerTres
  TresBind TresFreq TresPerJob TresPerNode TresPerSocket TresPerTask MailType NtasksPerTRES
  KillOInInvalidDependent CpuFreqMin CpuFreqMax CpuFreqGov Switches Wait-for-Switch FedOrigin
  FedViableSiblings FedActiveSiblings Nodes CPU_IDs Mem GRES
`),
]);

/** Splits one `Key=Value Key=Value` record. Values may contain `=`, and free-text ones spaces. */
export function keyValues(line: string): Record<string, string> {
  const starts = [...line.matchAll(/(?:^| )([A-Z][A-Za-z0-9_:/-]*)=/g)];
  const record: Record<string, string> = {};
  let key: string | null = null;
  let valueStart = 0;
  for (const match of starts) {
    const candidate = match[1] ?? "";
    if (key !== null && FREE_TEXT_KEYS.has(key) && !KNOWN_KEYS.has(candidate)) continue;
    // scontrol pads some values (Comment) with an extra space; the line ends with one too.
    if (key !== null) record[key] = line.slice(valueStart, match.index).trimEnd();
    key = candidate;
    valueStart = match.index + match[0].length;
  }
  if (key !== null) record[key] = line.slice(valueStart).trimEnd();
  return record;
}
