/**
 * The S7 requests of one connection waiting for an idle pooled client, in arrival order. A
 * read that fails takes back its requests that have not started.
 */
import type { PlannedRequest } from './planner';
import type { RequestOutcome, S7ConnectionError } from './prepared-read';

/** One S7 request waiting for, or running on, a pooled client. */
export interface Task {
  request: PlannedRequest;
  resolve: (outcome: RequestOutcome) => void;
  reject: (err: S7ConnectionError) => void;
  /** Already run once on a pooled connection that failed. */
  retried?: boolean;
}

export class RequestQueue {
  private tasks: Task[] = [];

  get length(): number {
    return this.tasks.length;
  }

  /** Queues requests; their outcomes, in the same order. */
  enqueue(requests: readonly PlannedRequest[]): { tasks: Task[]; outcomes: Promise<RequestOutcome>[] } {
    const tasks: Task[] = [];
    const outcomes = requests.map((request) => new Promise<RequestOutcome>((resolve, reject) => {
      tasks.push({ request, resolve, reject });
    }));
    this.tasks.push(...tasks);
    return { tasks, outcomes };
  }

  /** Puts a started task back first in line (its connection failed; another runs it). */
  retry(task: Task): void {
    this.tasks.unshift(task);
  }

  next(): Task | undefined {
    return this.tasks.shift();
  }

  /** Rejects those of `tasks` that have not started. */
  withdraw(tasks: readonly Task[], err: S7ConnectionError): void {
    const mine = new Set(tasks);
    const waiting = this.tasks.filter((t) => mine.has(t));
    this.tasks = this.tasks.filter((t) => !mine.has(t));
    for (const t of waiting) t.reject(err);
  }

  failAll(err: S7ConnectionError): void {
    for (const t of this.tasks.splice(0)) t.reject(err);
  }
}
