import { readFile } from 'node:fs/promises';

// Linux only: CPU time in clock ticks (USER_HZ, 100 on every Linux the benchmark runs on).
const TICKS_PER_SECOND = 100;

async function processTicks(pid: number): Promise<number | undefined> {
  try {
    // The command name can hold spaces and parentheses: the fields start after the last ')'.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

async function machineTicks(): Promise<{ busy: number; total: number } | undefined> {
  try {
    const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export type CpuShare = {
  seconds: number;
  /** CPU seconds each named process used in the window, and as a share of all the cores' time. */
  processes: Record<string, { cpuSeconds: number; shareOfMachine: number } | null>;
  /** How busy all the cores were, whoever used them (the machine is shared). */
  machineBusy: number | null;
};

/** Starts measuring now; `stop()` reports what each process used since. */
export async function measureCpuShare(pids: Record<string, number | undefined>, cores: number) {
  const started = performance.now();
  const before = Object.fromEntries(
    await Promise.all(Object.entries(pids).map(async ([k, pid]) => [k, pid ? await processTicks(pid) : undefined] as const)),
  );
  const machineBefore = await machineTicks();
  return async (): Promise<CpuShare> => {
    const seconds = (performance.now() - started) / 1000;
    const processes: CpuShare['processes'] = {};
    for (const [k, pid] of Object.entries(pids)) {
      const after = pid ? await processTicks(pid) : undefined;
      const b = before[k];
      if (after === undefined || b === undefined) {
        processes[k] = null;
        continue;
      }
      const cpuSeconds = (after - b) / TICKS_PER_SECOND;
      processes[k] = {
        cpuSeconds: Math.round(cpuSeconds * 10) / 10,
        shareOfMachine: Math.round((cpuSeconds / (seconds * cores)) * 1000) / 1000,
      };
    }
    const machineAfter = await machineTicks();
    const machineBusy =
      machineBefore && machineAfter
        ? Math.round(((machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)) * 1000) / 1000
        : null;
    return { seconds: Math.round(seconds * 10) / 10, processes, machineBusy };
  };
}
