type Entry = { name: string; stop: () => Promise<unknown>; kill: (() => void) | undefined; stopped: boolean };

/**
 * What a command started, stopped in reverse order on SIGINT/SIGTERM or failure.
 * A second signal, or 10 s without finishing, exits at once.
 *
 * A part that runs as a child process (embedded PostgreSQL, the Temporal dev server) also
 * gives a synchronous `kill`: whenever the process exits before that part's `stop` finished
 * (a second signal, the 10 s limit, any process.exit), the kill is sent from the `exit` event,
 * so no child outlives the command.
 */
export class Lifecycle {
  private readonly entries: Entry[] = [];
  private stopping: Promise<void> | undefined;
  private exiting = false;
  private readonly log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.log = log;
    process.once('exit', () => this.killRemaining());
  }

  add(name: string, stop: () => Promise<unknown>, kill?: () => void): void {
    this.entries.push({ name, stop, kill, stopped: false });
  }

  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const entry of [...this.entries].reverse()) {
        try {
          await entry.stop();
          entry.stopped = true;
        } catch (err) {
          this.log(`stopping ${entry.name} failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.stopping;
  }

  /** Stops everything, then exits with `code`; after 10 s it exits anyway (the kills still run). */
  shutdown(code: number, why: string): void {
    if (this.exiting) return;
    this.exiting = true;
    this.log(`${why}, stopping`);
    const hard = setTimeout(() => {
      this.log('did not stop within 10 s, exiting');
      process.exit(code || 1);
    }, 10_000);
    hard.unref();
    void this.stopAll().then(() => process.exit(code));
  }

  exitOnSignals(): void {
    const onSignal = (signal: string) => {
      if (this.exiting) process.exit(130);
      this.shutdown(0, `${signal} received`);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  }

  /** The last resort at exit: synchronous kills for every child whose stop did not finish. */
  private killRemaining(): void {
    for (const entry of [...this.entries].reverse()) {
      if (entry.stopped || !entry.kill) continue;
      try {
        entry.kill();
      } catch {
        // the process is exiting: nothing left to report to
      }
    }
  }
}
