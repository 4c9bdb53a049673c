/** One line of `<chunk>/samples.jsonl`: the chunk's whole process tree at one moment. */
export interface MemorySample {
  /** Milliseconds since the chunk started. */
  t: number;
  rssBytes: number;
  /** Sum of PSS, read every few seconds (null in between, and where smaps_rollup is unreadable). */
  pssBytes: number | null;
  processes: number;
  /** Threads of all the processes; null where the platform's sampler does not count them. */
  threads: number | null;
  /** Open file descriptors, read with PSS (null in between, and when unreadable). */
  fds: number | null;
  /** CPU use since the previous sample, in % of one core (200 = two cores busy). */
  cpuPercent: number;
  /** GPU memory attributed to the chunk; null when GPU sampling is off. */
  gpuBytes: number | null;
  /** Per-device used memory at this moment (index → bytes), when GPU sampling is on. */
  gpuDevices?: Record<string, number | null>;
}
