/**
 * One stoppable engine task at a time, as the Playground's generation and Compare's comparison and evaluation each
 * are: a run gets an abort signal; Stop aborts the current run once and says so to the store; and a run that is no
 * longer current (stopped and replaced by a newer one) must not write its outcome or its failure over the newer one.
 */
export class StoppableRun {
  private controller: AbortController | null = null;

  get running(): boolean {
    return this.controller !== null;
  }

  /**
   * Runs `task` as the current run. It gets the run's signal and a check of whether the run is still current (to ask
   * before writing its outcome); a failure reaches `failed` only while the run is current. The run ends either way.
   */
  async run(
    task: (signal: AbortSignal, isCurrent: () => boolean) => Promise<void>,
    failed: (error: unknown) => void,
  ): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const isCurrent = () => this.controller === controller;
    try {
      await task(controller.signal, isCurrent);
    } catch (error) {
      if (isCurrent()) failed(error);
    } finally {
      if (isCurrent()) this.controller = null;
    }
  }

  /** Aborts the current run, once: `stopping` tells the store (a second press, or none running, does nothing). */
  stop(stopping: () => void): void {
    if (!this.controller || this.controller.signal.aborted) return;
    this.controller.abort();
    stopping();
  }
}
