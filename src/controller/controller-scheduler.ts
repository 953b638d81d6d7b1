/**
 * Time for the controller: the shape of src/coordinator/scheduler.ts (the controller layer may not
 * import the coordinator's), so the root can pass the same scheduler, and tests a manual one.
 */
export interface ControllerTimer {
  cancel(): void;
}

export interface ControllerScheduler {
  now(): number;
  schedule(delayMs: number, task: () => void): ControllerTimer;
}

export const systemControllerScheduler: ControllerScheduler = {
  now: () => Date.now(),
  schedule(delayMs, task) {
    const handle = setTimeout(task, Math.max(0, delayMs));
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** Waits `ms` on the scheduler (resolves early, with false, if `cancelled` resolves first). */
export function pause(scheduler: ControllerScheduler, ms: number, cancelled: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = scheduler.schedule(ms, () => resolve(true));
    void cancelled.then(() => {
      timer.cancel();
      resolve(false);
    });
  });
}
