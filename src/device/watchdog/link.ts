/** What the watchdog needs from a link to its hardware, whatever the backend. */
export interface WatchdogLink {
  /** Rejects with the OS error when the device cannot be opened. */
  open(): Promise<void>;
  /** Resolves once the bytes were handed to the device. */
  write(data: Buffer): Promise<void>;
  /** Idempotent; never rejects. */
  close(): Promise<void>;
}

export interface LinkHandlers {
  /** One answer line from the peer, delimiter removed (serial backends only). */
  onLine(line: string): void;
  /** Called at most once per link when it fails outside close(). */
  onLost(err: Error): void;
}
