/** How the wait for a sent task's result ended. */
export type WaitOutcome =
  | { kind: "ended" }
  | { kind: "retry"; reason: string }
  | { kind: "timeout" }
  /** The runtime stopped: the task is left for the account's next owner, which resumes it. */
  | { kind: "handback" };

interface Waiter {
  resolve(outcome: WaitOutcome): void;
  timer: NodeJS.Timeout;
}

/** The tasks of an account waiting for Midjourney's answer, each released once with its outcome. */
export class Waiters {
  private readonly waiting = new Map<string, Waiter>();
  private closed = false;

  /** Resolves when the task ends, is asked to be resent, passes its deadline, or the runtime stops. */
  wait(taskId: string, deadline: number): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve({ kind: "handback" });
    // A second wait for the same task replaces the first, which is released as handed back.
    this.release(taskId, { kind: "handback" });
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.release(taskId, { kind: "timeout" }),
        Math.max(0, deadline - Date.now()),
      );
      this.waiting.set(taskId, { resolve, timer });
    });
  }

  release(taskId: string, outcome: WaitOutcome): void {
    const waiter = this.waiting.get(taskId);
    if (!waiter) return;
    this.waiting.delete(taskId);
    clearTimeout(waiter.timer);
    waiter.resolve(outcome);
  }

  ids(): string[] {
    return [...this.waiting.keys()];
  }

  get size(): number {
    return this.waiting.size;
  }

  /** The runtime stops: every wait ends as handed back, and later ones at once. */
  handBackAll(): void {
    this.closed = true;
    for (const taskId of this.ids()) this.release(taskId, { kind: "handback" });
  }
}
