/**
 * What a command started, stopped in reverse order on SIGINT/SIGTERM or failure.
 * A second signal, or 10 s without finishing, exits at once.
 */
export class Lifecycle {
  private readonly stops: { name: string; stop: () => Promise<unknown> }[] = [];
  private stopping: Promise<void> | undefined;
  private readonly log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.log = log;
  }

  add(name: string, stop: () => Promise<unknown>): void {
    this.stops.push({ name, stop });
  }

  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, stop } of this.stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          this.log(`stopping ${name} failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.stopping;
  }

  exitOnSignals(): void {
    let signals = 0;
    const onSignal = (signal: string) => {
      signals += 1;
      if (signals > 1) process.exit(130);
      this.log(`${signal} received, stopping`);
      const hard = setTimeout(() => {
        this.log('did not stop within 10 s, exiting');
        process.exit(1);
      }, 10_000);
      hard.unref();
      void this.stopAll().then(() => process.exit(0));
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  }
}
