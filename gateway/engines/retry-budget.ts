// A retry budget over a sliding window: retries may not exceed `ratio` of the requests seen in
// the window plus `min`. Under a storm (every engine failing) this stops retries multiplying load.
export class RetryBudget {
  private requests: number[] = [];
  private retries: number[] = [];

  constructor(private readonly ratio: number, private readonly min: number, private readonly windowMs: number) {}

  private prune(now: number): void {
    const from = now - this.windowMs;
    while (this.requests.length && this.requests[0]! < from) this.requests.shift();
    while (this.retries.length && this.retries[0]! < from) this.retries.shift();
  }

  noteRequest(now = Date.now()): void {
    this.prune(now);
    this.requests.push(now);
  }

  /** Spends one retry if the budget allows it. */
  tryRetry(now = Date.now()): boolean {
    this.prune(now);
    if (this.retries.length >= this.min + this.ratio * this.requests.length) return false;
    this.retries.push(now);
    return true;
  }
}
