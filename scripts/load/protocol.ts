/** What the load script's parent and its generator children say to each other over IPC. */

export interface SetupArg {
  readonly sipPort: number;
  /** User name prefix of this generator's pairs, so that generators never share a user. */
  readonly prefix: string;
  readonly pairs: number;
  readonly sessionsPerPair: number;
}

export interface SetupResult {
  readonly opened: number;
  readonly failed: number;
  readonly errors: readonly string[];
}

export interface RunArg {
  readonly ratePerSession: number;
  readonly size: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** How long to wait after the last send for messages still under way. */
  readonly drainMs: number;
}

export interface RunResult {
  readonly latenciesMs: Float64Array;
  readonly sent: number;
  readonly received: number;
  /** SENDs answered with an error or never answered. */
  readonly refused: number;
  /** Sessions that ended while they should have stayed open. */
  readonly unexpectedEnds: number;
  readonly errors: readonly string[];
  readonly cpuSeconds: number;
  /** The generator's own event-loop delay p99: when high, the generator limits the figure. */
  readonly lagP99Ms: number;
}
