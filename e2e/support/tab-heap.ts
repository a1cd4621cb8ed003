/**
 * The JS heap a tab uses: its page's and every worker's, nested workers included (the studio's engine worker
 * starts a data worker of its own), read through the DevTools protocol. Workers are auto-attached as they start;
 * a nested one is reached through its parent's session (Target.sendMessageToTarget, one wrapping per level).
 */
import type { CDPSession, Page } from '@playwright/test';

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown> };

export class TabHeap {
  /** Each worker's route: the session ids from the page's session down to it. */
  private readonly workers = new Map<string, string[]>();
  private readonly replies = new Map<number, (result: Record<string, unknown> | undefined) => void>();
  private nextId = 1;
  peakPage = 0;
  peakWorkers = 0;

  private constructor(private readonly cdp: CDPSession) {
    cdp.on('Target.attachedToTarget', (event) => this.attached([], event as unknown as Record<string, unknown>));
    cdp.on('Target.detachedFromTarget', (event) => this.workers.delete(event.sessionId));
    cdp.on('Target.receivedMessageFromTarget', (event) => this.received([event.sessionId], JSON.parse(event.message) as Message));
  }

  /** Call before the page loads its workers (before `goto`). */
  static async watch(page: Page): Promise<TabHeap> {
    const cdp = await page.context().newCDPSession(page);
    const heap = new TabHeap(cdp);
    await cdp.send('Performance.enable');
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return heap;
  }

  /** The most workers alive at one sample (a run's data worker ends with the run). */
  mostWorkers = 0;

  /** Reads every heap now and keeps the peaks (of the page, and of all workers together). */
  async sample(): Promise<void> {
    const { metrics } = await this.cdp.send('Performance.getMetrics');
    this.peakPage = Math.max(this.peakPage, metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0);
    let workers = 0;
    for (const route of this.workers.values()) {
      const usage = await this.send(route, 'Runtime.getHeapUsage', {});
      workers += Number(usage?.usedSize ?? 0);
    }
    this.peakWorkers = Math.max(this.peakWorkers, workers);
    this.mostWorkers = Math.max(this.mostWorkers, this.workers.size);
  }

  private attached(parent: string[], params: Record<string, unknown>): void {
    const info = params.targetInfo as { type?: string } | undefined;
    const route = [...parent, params.sessionId as string];
    if (info?.type !== 'worker') return;
    this.workers.set(route.join('/'), route);
    // Its own workers are attached the same way.
    void this.send(route, 'Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  }

  private received(route: string[], message: Message): void {
    if (message.method === 'Target.receivedMessageFromTarget' && message.params) {
      const inner = JSON.parse(message.params.message as string) as Message;
      this.received([...route, message.params.sessionId as string], inner);
    } else if (message.method === 'Target.attachedToTarget' && message.params) {
      this.attached(route, message.params);
    } else if (message.method === 'Target.detachedFromTarget' && message.params) {
      this.workers.delete([...route, message.params.sessionId as string].join('/'));
    } else if (message.id !== undefined) {
      this.replies.get(message.id)?.(message.result);
    }
  }

  /** A command to the worker at `route`, wrapped once per level below the first; undefined if it never answers. */
  private send(route: string[], method: string, params: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const done = (result: Record<string, unknown> | undefined) => {
        this.replies.delete(id);
        resolve(result);
      };
      this.replies.set(id, done);
      let message: Message = { id, method, params };
      for (let i = route.length - 1; i >= 1; i--) {
        message = { id: this.nextId++, method: 'Target.sendMessageToTarget', params: { sessionId: route[i], message: JSON.stringify(message) } };
      }
      this.cdp.send('Target.sendMessageToTarget', { sessionId: route[0], message: JSON.stringify(message) }).catch(() => done(undefined));
      setTimeout(() => done(undefined), 5000);
    });
  }
}
